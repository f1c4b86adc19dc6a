CORRECT = [
    # np.dot and np.sum, the course's style
    "import numpy as np\n"
    "def linear_backward(dZ, A_prev, W):\n"
    "    m = A_prev.shape[1]\n"
    "    dW = 1 / m * np.dot(dZ, A_prev.T)\n"
    "    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)\n"
    "    dA_prev = np.dot(W.T, dZ)\n"
    "    return dA_prev, dW, db\n",
    # einsum and a mean
    "import numpy as np\n"
    "def linear_backward(dZ, A_prev, W):\n"
    "    dW = np.einsum('im,jm->ij', dZ, A_prev) / dZ.shape[1]\n"
    "    db = dZ.mean(axis=1).reshape(-1, 1)\n"
    "    return np.einsum('ij,im->jm', W, dZ), dW, db\n",
    # per-example loop, returned as a list
    "import numpy as np\n"
    "def linear_backward(dZ, A_prev, W):\n"
    "    m = dZ.shape[1]\n"
    "    dW = np.zeros(W.shape); db = np.zeros((W.shape[0], 1))\n"
    "    for i in range(m):\n"
    "        dW += np.outer(dZ[:, i], A_prev[:, i]) / m\n"
    "        db[:, 0] += dZ[:, i] / m\n"
    "    return [W.T @ dZ, dW, db]\n",
]
WRONG = [
    ("db-flat",
     "import numpy as np\n"
     "def linear_backward(dZ, A_prev, W):\n"
     "    m = A_prev.shape[1]\n"
     "    return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.mean(dZ, axis=1)\n"),
    ("no-mean",
     "import numpy as np\n"
     "def linear_backward(dZ, A_prev, W):\n"
     "    dW = np.dot(dZ, A_prev.T)\n"
     "    db = np.sum(dZ, axis=1, keepdims=True)\n"
     "    return np.dot(W.T, dZ), dW, db\n"),
    ("da-prev-divided",
     "import numpy as np\n"
     "def linear_backward(dZ, A_prev, W):\n"
     "    m = A_prev.shape[1]\n"
     "    return (1 / m) * (W.T @ dZ), (1 / m) * (dZ @ A_prev.T), (1 / m) * dZ.sum(1, keepdims=True)\n"),
]

CORRECT = [
    "def dropout_backward(dA, D, keep_prob):\n"
    "    dA_prev = dA * D\n"
    "    dA_prev = dA_prev / keep_prob\n"
    "    return dA_prev\n",
    "import numpy as np\n"
    "def dropout_backward(dA, D, keep_prob):\n"
    "    return np.where(D.astype(bool), dA / keep_prob, 0.0)\n",
    "import numpy as np\n"
    "def dropout_backward(dA, D, keep_prob):\n"
    "    return np.multiply(dA, D, dtype=float) * (1.0 / keep_prob)\n",
]
WRONG = [
    ("no-rescale",
     "import numpy as np\n"
     "def dropout_backward(dA, D, keep_prob):\n"
     "    return np.where(D == 1, dA, 0.0)\n"),
    ("in-place",
     "def dropout_backward(dA, D, keep_prob):\n"
     "    dA[D == 0] = 0\n"
     "    return dA / keep_prob\n"),
    ("drop-prob",
     "def dropout_backward(dA, D, keep_prob):\n"
     "    p = 1 - keep_prob\n"
     "    return dA * D / p\n"),
]

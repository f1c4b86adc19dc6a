CORRECT = [
    # log-sum-exp, then pick the true class's log-probability with the labels' indices
    "import numpy as np\n"
    "def softmax_cross_entropy(Z, Y):\n"
    "    m = Z.shape[1]\n"
    "    mx = Z.max(axis=0)\n"
    "    lse = mx + np.log(np.exp(Z - mx).sum(axis=0))\n"
    "    idx = Y.argmax(axis=0)\n"
    "    cost = np.mean(lse - Z[idx, np.arange(m)])\n"
    "    P = np.exp(Z - lse)\n"
    "    return cost, (P - Y) / m\n",
    # softmax for the gradient, log-softmax for the cost, returned as a 0-d array
    "import numpy as np\n"
    "def softmax_cross_entropy(Z, Y):\n"
    "    s = Z - np.max(Z, axis=0, keepdims=True)\n"
    "    e = np.exp(s)\n"
    "    A = e / np.sum(e, axis=0, keepdims=True)\n"
    "    logp = s - np.log(np.sum(e, axis=0, keepdims=True))\n"
    "    m = Y.shape[1]\n"
    "    return np.array(-np.sum(Y * logp) / m), (A - Y) / m\n",
    # one column at a time
    "import math\n"
    "import numpy as np\n"
    "def softmax_cross_entropy(Z, Y):\n"
    "    C, m = Z.shape\n"
    "    cost = 0.0\n"
    "    dZ = np.zeros((C, m))\n"
    "    for i in range(m):\n"
    "        z = Z[:, i] - Z[:, i].max()\n"
    "        lse = math.log(sum(math.exp(v) for v in z))\n"
    "        cost -= float(np.dot(Y[:, i], z - lse))\n"
    "        dZ[:, i] = (np.exp(z - lse) - Y[:, i]) / m\n"
    "    return cost / m, dZ\n",
]
WRONG = [
    ("log-of-softmax",
     "import numpy as np\n"
     "def softmax_cross_entropy(Z, Y):\n"
     "    t = np.exp(Z - np.max(Z, axis=0))\n"
     "    A = t / np.sum(t, axis=0)\n"
     "    cost = -np.sum(Y * np.log(A)) / Z.shape[1]\n"
     "    return cost, (A - Y) / Z.shape[1]\n"),
    ("cost-keepdims",
     "import numpy as np\n"
     "def softmax_cross_entropy(Z, Y):\n"
     "    m = Z.shape[1]\n"
     "    s = Z - Z.max(0, keepdims=True)\n"
     "    logp = s - np.log(np.exp(s).sum(0, keepdims=True))\n"
     "    cost = -(1 / m) * np.dot(np.ones((1, Z.shape[0])), (Y * logp).sum(axis=1, keepdims=True))\n"
     "    return cost, (np.exp(logp) - Y) / m\n"),
    ("grad-not-divided",
     "import numpy as np\n"
     "def softmax_cross_entropy(Z, Y):\n"
     "    s = Z - Z.max(0)\n"
     "    logp = s - np.log(np.exp(s).sum(0))\n"
     "    return -np.mean(np.sum(Y * logp, axis=0)), np.exp(logp) - Y\n"),
    ("shift-by-mean",  # "any shift works": centring the logits
     "import numpy as np\n"
     "def softmax_cross_entropy(Z, Y):\n"
     "    m = Z.shape[1]\n"
     "    c = Z - np.mean(Z, axis=0)\n"
     "    lse = np.log(np.sum(np.exp(c), axis=0))\n"
     "    logp = c - lse\n"
     "    return -np.sum(Y * logp) / m, (np.exp(logp) - Y) / m\n"),
    ("shift-by-first-row",
     "import numpy as np\n"
     "def softmax_cross_entropy(Z, Y):\n"
     "    m = Z.shape[1]\n"
     "    s = Z - Z[0, :]\n"
     "    logp = s - np.log(np.exp(s).sum(axis=0))\n"
     "    return float(-(Y * logp).sum() / m), (np.exp(logp) - Y) / m\n"),
    ("shift-not-max",
     "import numpy as np\n"
     "def softmax_cross_entropy(Z, Y):\n"
     "    m = Z.shape[1]\n"
     "    s = Z - np.min(Z, axis=0, keepdims=True)  # every exponent >= 0\n"
     "    logp = s - np.log(np.sum(np.exp(s), axis=0, keepdims=True))\n"
     "    return -np.sum(Y * logp) / m, (np.exp(logp) - Y) / m\n"),
]

CORRECT = [
    # transposed: rows are examples, as frameworks lay them out
    "import numpy as np\n"
    "def layernorm_forward(X, gamma, beta, eps):\n"
    "    T = X.T\n"
    "    mu = T.mean(axis=-1, keepdims=True)\n"
    "    var = ((T - mu) ** 2).mean(axis=-1, keepdims=True)\n"
    "    return (gamma.T * (T - mu) / np.sqrt(var + eps) + beta.T).T\n",
    # one example at a time
    "import numpy as np\n"
    "def layernorm_forward(X, gamma, beta, eps):\n"
    "    out = np.empty(X.shape)\n"
    "    n = X.shape[0]\n"
    "    for j in range(X.shape[1]):\n"
    "        x = X[:, j]\n"
    "        mu = x.sum() / n\n"
    "        var = ((x - mu) ** 2).sum() / n\n"
    "        out[:, j] = gamma[:, 0] * (x - mu) / (var + eps) ** 0.5 + beta[:, 0]\n"
    "    return out\n",
]
WRONG = [
    ("batch-axis",
     "import numpy as np\n"
     "def layernorm_forward(X, gamma, beta, eps):\n"
     "    mean = np.mean(X, axis=-1, keepdims=True)\n"
     "    var = np.var(X, axis=-1, keepdims=True)\n"
     "    return gamma * (X - mean) / np.sqrt(var + eps) + beta\n"),
    ("unbiased-variance",
     "import numpy as np\n"
     "def layernorm_forward(X, gamma, beta, eps):\n"
     "    mu = np.mean(X, axis=0)\n"
     "    sd2 = np.sum((X - mu) ** 2, axis=0) / (X.shape[0] - 1)\n"
     "    return gamma * ((X - mu) / np.sqrt(sd2 + eps)) + beta\n"),
    ("eps-outside-sqrt",
     "import numpy as np\n"
     "def layernorm_forward(X, gamma, beta, eps):\n"
     "    Xh = (X - X.mean(0)) / (np.sqrt(X.var(0)) + eps)\n"
     "    return gamma * Xh + beta\n"),
]

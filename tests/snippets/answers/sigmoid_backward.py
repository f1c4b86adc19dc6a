CORRECT = [
    # stable sigmoid via masks
    "import numpy as np\n"
    "def _sigmoid(z):\n"
    "    out = np.empty(z.shape)\n"
    "    pos = z >= 0\n"
    "    out[pos] = 1 / (1 + np.exp(-z[pos]))\n"
    "    e = np.exp(z[~pos])\n"
    "    out[~pos] = e / (1 + e)\n"
    "    return out\n"
    "def sigmoid_backward(dA, Z):\n"
    "    s = _sigmoid(Z)\n"
    "    return dA * s * (1 - s)\n",
    # via tanh: sigma(z) = (1 + tanh(z/2)) / 2, which never overflows
    "import numpy as np\n"
    "def sigmoid_backward(dA, Z):\n"
    "    s = 0.5 * (1 + np.tanh(Z / 2))\n"
    "    return dA * s * (1 - s)\n",
    # sigma'(z) = e^{-|z|} / (1 + e^{-|z|})^2, symmetric in z
    "import numpy as np\n"
    "def sigmoid_backward(dA, Z):\n"
    "    e = np.exp(-np.abs(Z))\n"
    "    return dA * e / (1 + e) ** 2\n",
]
WRONG = [
    ("naive-overflow",
     "import numpy as np\n"
     "def sigmoid_backward(dA, Z):\n"
     "    A = 1 / (1 + np.exp(-Z))\n"
     "    dZ = dA * A * (1 - A)\n"
     "    return dZ\n"),
    ("forgot-upstream",
     "import numpy as np\n"
     "def sigmoid_backward(dA, Z):\n"
     "    s = 0.5 * (1 + np.tanh(Z / 2))\n"
     "    return s - s ** 2\n"),
    ("uses-z-not-sigmoid",
     "def sigmoid_backward(dA, Z):\n"
     "    return dA * (Z - Z * Z)\n"),
]

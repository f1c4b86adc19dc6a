CORRECT = [
    "import numpy as np\n"
    "def zero_pad(X, pad):\n"
    "    m, h, w, c = X.shape\n"
    "    out = np.zeros((m, h + 2 * pad, w + 2 * pad, c))\n"
    "    out[:, pad:pad + h, pad:pad + w, :] = X\n"
    "    return out\n",
    "import numpy as np\n"
    "def zero_pad(X, pad):\n"
    "    return np.pad(X, [(0, 0), (pad, pad), (pad, pad), (0, 0)])\n",
    # concatenate zero strips
    "import numpy as np\n"
    "def zero_pad(X, pad):\n"
    "    m, h, w, c = X.shape\n"
    "    rows = np.zeros((m, pad, w, c))\n"
    "    X = np.concatenate([rows, X, rows], axis=1)\n"
    "    cols = np.zeros((m, h + 2 * pad, pad, c))\n"
    "    return np.concatenate([cols, X, cols], axis=2)\n",
]
WRONG = [
    ("pads-every-axis",
     "import numpy as np\n"
     "def zero_pad(X, pad):\n"
     "    return np.pad(X, ((pad, pad), (pad, pad), (pad, pad), (pad, pad)), 'constant')\n"),
    ("empty-slice-at-zero",
     "import numpy as np\n"
     "def zero_pad(X, pad):\n"
     "    out = np.zeros((X.shape[0], X.shape[1] + 2 * pad, X.shape[2] + 2 * pad, X.shape[3]))\n"
     "    out[:, pad:-pad, pad:-pad] = X\n"
     "    return out\n"),
]

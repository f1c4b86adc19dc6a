CORRECT = [
    # the course's style: copy, then zero
    "import numpy as np\n"
    "def relu_backward(dA, Z):\n"
    "    dZ = np.array(dA, copy=True)\n"
    "    dZ[Z <= 0] = 0\n"
    "    return dZ\n",
    # multiply by a boolean mask
    "def relu_backward(dA, Z):\n"
    "    return dA * (Z > 0)\n",
    # explicit loops over a float result
    "import numpy as np\n"
    "def relu_backward(dA, Z):\n"
    "    out = np.zeros(Z.shape)\n"
    "    for i in range(Z.shape[0]):\n"
    "        for j in range(Z.shape[1]):\n"
    "            if Z[i, j] > 0:\n"
    "                out[i, j] = dA[i, j]\n"
    "    return out\n",
    # heaviside with 0 at the kink
    "import numpy as np\n"
    "def relu_backward(dA, Z):\n"
    "    return dA * np.heaviside(Z, 0.0)\n",
]
WRONG = [
    ("kink-passes",
     "import numpy as np\n"
     "def relu_backward(dA, Z):\n"
     "    dZ = dA.copy()\n"
     "    dZ[Z < 0] = 0\n"
     "    return dZ\n"),
    ("in-place",
     "def relu_backward(dA, Z):\n"
     "    dZ = dA\n"
     "    dZ[Z <= 0] = 0.0\n"
     "    return dZ\n"),
    ("mask-on-grad",
     "import numpy as np\n"
     "def relu_backward(dA, Z):\n"
     "    return np.maximum(dA, 0)\n"),
]

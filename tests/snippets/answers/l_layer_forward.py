CORRECT = [
    # the course's helper functions, caches as ((A_prev, W, b), Z)
    "import numpy as np\n"
    "def linear_forward(A, W, b):\n"
    "    Z = W.dot(A) + b\n"
    "    return Z, (A, W, b)\n"
    "def l_layer_forward(X, parameters):\n"
    "    caches = []\n"
    "    A = X\n"
    "    L = len(parameters) // 2\n"
    "    for l in range(1, L):\n"
    "        Z, linear_cache = linear_forward(A, parameters['W' + str(l)], parameters['b' + str(l)])\n"
    "        A = np.maximum(0, Z)\n"
    "        caches.append((linear_cache, Z))\n"
    "    Z, linear_cache = linear_forward(A, parameters['W' + str(L)], parameters['b' + str(L)])\n"
    "    AL = 1 / (1 + np.exp(-Z))\n"
    "    caches.append((linear_cache, Z))\n"
    "    return AL, caches\n",
    # caches as dicts, returned as a tuple, einsum products
    "import numpy as np\n"
    "def l_layer_forward(X, parameters):\n"
    "    L = sum(1 for k in parameters if k.startswith('W'))\n"
    "    A = X\n"
    "    caches = ()\n"
    "    for l in range(1, L + 1):\n"
    "        Z = np.einsum('ij,jm->im', parameters[f'W{l}'], A) + parameters[f'b{l}']\n"
    "        caches += ({'A_prev': A, 'Z': Z},)\n"
    "        A = np.where(Z > 0, Z, 0.0) if l < L else 0.5 * (1 + np.tanh(Z / 2))\n"
    "    return A, caches\n",
]
WRONG = [
    ("relu-on-last-layer",
     "import numpy as np\n"
     "def l_layer_forward(X, parameters):\n"
     "    A = X; caches = []\n"
     "    for l in range(1, len(parameters) // 2 + 1):\n"
     "        Z = parameters['W%d' % l] @ A + parameters['b%d' % l]\n"
     "        caches.append(Z)\n"
     "        A = Z * (Z > 0)\n"
     "    return A, caches\n"),
    ("skips-last-layer",
     "import numpy as np\n"
     "def l_layer_forward(X, parameters):\n"
     "    A = X; caches = []\n"
     "    L = len(parameters) // 2\n"
     "    for l in range(1, L):\n"
     "        Z = parameters['W%d' % l] @ A + parameters['b%d' % l]\n"
     "        caches.append((A, Z))\n"
     "        A = np.maximum(Z, 0)\n"
     "    ZL = parameters['W%d' % L] @ A + parameters['b%d' % L]\n"
     "    return 1 / (1 + np.exp(-ZL)), caches\n"),
]

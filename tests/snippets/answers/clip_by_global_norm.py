CORRECT = [
    # one flat vector for the norm, np.linalg.norm, min(1, ...)
    "import numpy as np\n"
    "def clip_by_global_norm(grads, max_norm):\n"
    "    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))\n"
    "    factor = min(1.0, max_norm / total)\n"
    "    return [g * factor for g in grads]\n",
    # PyTorch's clip_grad_norm_ formula (+1e-6 in the denominator), copies otherwise, as a tuple
    "import numpy as np\n"
    "def clip_by_global_norm(grads, max_norm):\n"
    "    total = sum(float((g ** 2).sum()) for g in grads) ** 0.5\n"
    "    coef = max_norm / (total + 1e-6)\n"
    "    if coef < 1:\n"
    "        return tuple(np.multiply(g, coef) for g in grads)\n"
    "    return tuple(np.array(g, copy=True) for g in grads)\n",
    # loops over the entries
    "import math\n"
    "import numpy as np\n"
    "def clip_by_global_norm(grads, max_norm):\n"
    "    sq = 0.0\n"
    "    for g in grads:\n"
    "        for x in g.flat:\n"
    "            sq += x * x\n"
    "    n = math.sqrt(sq)\n"
    "    out = []\n"
    "    for g in grads:\n"
    "        c = np.empty_like(g)\n"
    "        c[...] = g * (max_norm / n) if n > max_norm else g\n"
    "        out.append(c)\n"
    "    return out\n",
]
WRONG = [
    ("returns-inputs",
     "import numpy as np\n"
     "def clip_by_global_norm(grads, max_norm):\n"
     "    norm = np.sqrt(np.sum([np.sum(np.square(g)) for g in grads]))\n"
     "    if norm > max_norm:\n"
     "        grads = [g * max_norm / norm for g in grads]\n"
     "    return list(grads)\n"),
    ("per-array",
     "import numpy as np\n"
     "def clip_by_global_norm(grads, max_norm):\n"
     "    return [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]\n"),
    ("in-place",
     "import numpy as np\n"
     "def clip_by_global_norm(grads, max_norm):\n"
     "    norm = np.sqrt(sum(np.sum(g * g) for g in grads))\n"
     "    out = []\n"
     "    for i in range(len(grads)):\n"
     "        if norm > max_norm:\n"
     "            grads[i] *= max_norm / norm\n"
     "        out.append(grads[i].copy())\n"
     "    return out\n"),
    ("sum-of-norms",
     "import numpy as np\n"
     "def clip_by_global_norm(grads, max_norm):\n"
     "    norm = np.sum([np.linalg.norm(g) for g in grads])\n"
     "    return [g * max_norm / norm if norm > max_norm else g.copy() for g in grads]\n"),
]

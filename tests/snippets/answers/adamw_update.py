CORRECT = [
    # decay folded into the step
    "import numpy as np\n"
    "def adamw_update(w, dw, v, s, t, lr, beta1, beta2, eps, weight_decay):\n"
    "    v = beta1 * v + (1 - beta1) * dw\n"
    "    s = beta2 * s + (1 - beta2) * np.square(dw)\n"
    "    step = (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)\n"
    "    return w - lr * weight_decay * w - lr * step, v, s\n",
    # PyTorch's own arrangement: step_size and denom
    "import math\n"
    "import numpy as np\n"
    "def adamw_update(w, dw, v, s, t, lr, beta1, beta2, eps, weight_decay):\n"
    "    p = w.copy()\n"
    "    p *= 1 - lr * weight_decay\n"
    "    m = v * beta1 + dw * (1 - beta1)\n"
    "    u = s * beta2 + dw * dw * (1 - beta2)\n"
    "    bc1 = 1 - beta1 ** t\n"
    "    bc2 = 1 - beta2 ** t\n"
    "    denom = np.sqrt(u) / math.sqrt(bc2) + eps\n"
    "    p -= (lr / bc1) * m / denom\n"
    "    return p, m, u\n",
]
WRONG = [
    ("coupled-l2",
     "import numpy as np\n"
     "def adamw_update(w, dw, v, s, t, lr, beta1, beta2, eps, weight_decay):\n"
     "    g = dw + weight_decay * w\n"
     "    v = beta1 * v + (1 - beta1) * g\n"
     "    s = beta2 * s + (1 - beta2) * g * g\n"
     "    return w - lr * (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps), v, s\n"),
    ("decay-after-step",
     "import numpy as np\n"
     "def adamw_update(w, dw, v, s, t, lr, beta1, beta2, eps, weight_decay):\n"
     "    v = beta1 * v + (1 - beta1) * dw\n"
     "    s = beta2 * s + (1 - beta2) * dw ** 2\n"
     "    w = w - lr * (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps)\n"
     "    w = w - lr * weight_decay * w\n"
     "    return w, v, s\n"),
    ("decay-without-lr",
     "import numpy as np\n"
     "def adamw_update(w, dw, v, s, t, lr, beta1, beta2, eps, weight_decay):\n"
     "    v = beta1 * v + (1 - beta1) * dw\n"
     "    s = beta2 * s + (1 - beta2) * dw ** 2\n"
     "    return w - weight_decay * w - lr * (v / (1 - beta1 ** t)) / (np.sqrt(s / (1 - beta2 ** t)) + eps), v, s\n"),
]

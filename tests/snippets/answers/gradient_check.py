CORRECT = [
    # the course's style
    "import numpy as np\n"
    "def gradient_check(cost, theta, grad, eps=1e-7):\n"
    "    num_parameters = theta.shape[0]\n"
    "    gradapprox = np.zeros((num_parameters,))\n"
    "    for i in range(num_parameters):\n"
    "        theta_plus = np.copy(theta)\n"
    "        theta_plus[i] = theta_plus[i] + eps\n"
    "        J_plus = cost(theta_plus)\n"
    "        theta_minus = np.copy(theta)\n"
    "        theta_minus[i] = theta_minus[i] - eps\n"
    "        J_minus = cost(theta_minus)\n"
    "        gradapprox[i] = (J_plus - J_minus) / (2 * eps)\n"
    "    numerator = np.linalg.norm(grad - gradapprox)\n"
    "    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)\n"
    "    return numerator / denominator\n",
    # rows of the identity, a list comprehension, sqrt of sums
    "import numpy as np\n"
    "def gradient_check(cost, theta, grad, eps=1e-7):\n"
    "    E = np.eye(theta.size) * eps\n"
    "    approx = np.array([(cost(theta + e) - cost(theta - e)) / (2 * eps) for e in E])\n"
    "    d = approx - grad\n"
    "    return np.sqrt(d @ d) / (np.sqrt(approx @ approx) + np.sqrt(grad @ grad))\n",
    # perturbs in place and restores the saved value exactly
    "import math\n"
    "def gradient_check(cost, theta, grad, eps=1e-7):\n"
    "    t = theta.copy()\n"
    "    approx = []\n"
    "    for i in range(len(t)):\n"
    "        old = t[i]\n"
    "        t[i] = old + eps\n"
    "        up = cost(t)\n"
    "        t[i] = old - eps\n"
    "        down = cost(t)\n"
    "        t[i] = old\n"
    "        approx.append((up - down) / (2 * eps))\n"
    "    num = math.sqrt(sum((a - g) ** 2 for a, g in zip(approx, grad)))\n"
    "    den = math.sqrt(sum(a * a for a in approx)) + math.sqrt(sum(g * g for g in grad))\n"
    "    return num / den\n",
]
WRONG = [
    ("one-sided",
     "import numpy as np\n"
     "def gradient_check(cost, theta, grad, eps=1e-7):\n"
     "    J = cost(theta)\n"
     "    approx = np.array([(cost(theta + eps * np.eye(len(theta))[i]) - J) / eps for i in range(len(theta))])\n"
     "    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))\n"),
    ("aliased-theta",
     "import numpy as np\n"
     "def gradient_check(cost, theta, grad, eps=1e-7):\n"
     "    approx = np.zeros_like(theta)\n"
     "    for i in range(len(theta)):\n"
     "        tp = theta\n"
     "        tp[i] += eps\n"
     "        jp = cost(tp)\n"
     "        tm = theta\n"
     "        tm[i] -= eps\n"
     "        jm = cost(tm)\n"
     "        approx[i] = (jp - jm) / (2 * eps)\n"
     "    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))\n"),
    ("divides-by-eps",
     "import numpy as np\n"
     "def gradient_check(cost, theta, grad, eps=1e-7):\n"
     "    approx = np.zeros(len(theta))\n"
     "    for i in range(len(theta)):\n"
     "        d = np.zeros(len(theta)); d[i] = eps\n"
     "        approx[i] = (cost(theta + d) - cost(theta - d)) / eps\n"
     "    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))\n"),
]

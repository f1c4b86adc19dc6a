CORRECT = [
    # the course's style
    "import numpy as np\n"
    "def cosine_similarity(u, v):\n"
    "    dot = np.dot(u, v)\n"
    "    norm_u = np.sqrt(np.sum(u * u))\n"
    "    norm_v = np.sqrt(np.sum(v * v))\n"
    "    return dot / (norm_u * norm_v)\n",
    # normalise first, then one dot product
    "import numpy as np\n"
    "def cosine_similarity(u, v):\n"
    "    return (u / np.linalg.norm(u)) @ (v / np.linalg.norm(v))\n",
    # pure Python
    "import math\n"
    "def cosine_similarity(u, v):\n"
    "    dot = sum(a * b for a, b in zip(u, v))\n"
    "    return dot / (math.sqrt(sum(a * a for a in u)) * math.sqrt(sum(b * b for b in v)))\n",
]
WRONG = [
    ("squared-norms",
     "import numpy as np\n"
     "def cosine_similarity(u, v):\n"
     "    return np.dot(u, v) / (np.dot(u, u) * np.dot(v, v))\n"),
    ("returns-array",
     "import numpy as np\n"
     "def cosine_similarity(u, v):\n"
     "    u = u.reshape(-1, 1); v = v.reshape(-1, 1)\n"
     "    return u.T @ v / (np.linalg.norm(u) * np.linalg.norm(v))\n"),
    ("dot-only",
     "def cosine_similarity(u, v):\n"
     "    return (u * v).sum()\n"),
]

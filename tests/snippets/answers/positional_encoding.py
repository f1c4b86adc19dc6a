CORRECT = [
    # the TensorFlow tutorial's get_angles, kept in float64
    "import numpy as np\n"
    "def get_angles(pos, i, d_model):\n"
    "    angle_rates = 1 / np.power(10000, (2 * (i // 2)) / np.float64(d_model))\n"
    "    return pos * angle_rates\n"
    "def positional_encoding(max_len, d_model):\n"
    "    angle_rads = get_angles(np.arange(max_len)[:, np.newaxis], np.arange(d_model)[np.newaxis, :], d_model)\n"
    "    angle_rads[:, 0::2] = np.sin(angle_rads[:, 0::2])\n"
    "    angle_rads[:, 1::2] = np.cos(angle_rads[:, 1::2])\n"
    "    return angle_rads\n",
    # PyTorch-tutorial div_term, sliced for odd d_model
    "import math\n"
    "import numpy as np\n"
    "def positional_encoding(max_len, d_model):\n"
    "    pe = np.zeros((max_len, d_model))\n"
    "    position = np.arange(max_len, dtype=float)[:, None]\n"
    "    div_term = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))\n"
    "    pe[:, 0::2] = np.sin(position * div_term)\n"
    "    pe[:, 1::2] = np.cos(position * div_term)[:, : d_model // 2]\n"
    "    return pe\n",
    # plain loops
    "import math\n"
    "import numpy as np\n"
    "def positional_encoding(max_len, d_model):\n"
    "    PE = np.zeros((max_len, d_model))\n"
    "    for p in range(max_len):\n"
    "        for i in range(0, d_model, 2):\n"
    "            angle = p / 10000 ** (i / d_model)\n"
    "            PE[p, i] = math.sin(angle)\n"
    "            if i + 1 < d_model:\n"
    "                PE[p, i + 1] = math.cos(angle)\n"
    "    return PE\n",
]
WRONG = [
    ("odd-d-model-fails",
     "import numpy as np\n"
     "def positional_encoding(max_len, d_model):\n"
     "    pe = np.zeros((max_len, d_model))\n"
     "    position = np.arange(0, max_len)[:, None]\n"
     "    div_term = 1.0 / (10000 ** (np.arange(0, d_model, 2) / d_model))\n"
     "    pe[:, 0::2] = np.sin(position * div_term)\n"
     "    pe[:, 1::2] = np.cos(position * div_term)\n"
     "    return pe\n"),
    ("column-index-exponent",
     "import numpy as np\n"
     "def positional_encoding(max_len, d_model):\n"
     "    PE = np.zeros((max_len, d_model))\n"
     "    for pos in range(max_len):\n"
     "        for j in range(d_model):\n"
     "            angle = pos / 10000 ** (j / d_model)\n"
     "            PE[pos, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)\n"
     "    return PE\n"),
    ("halves-not-interleaved",
     "import numpy as np\n"
     "def positional_encoding(max_len, d_model):\n"
     "    pos = np.arange(max_len)[:, None]\n"
     "    freqs = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)\n"
     "    ang = pos * freqs\n"
     "    return np.hstack([np.sin(ang), np.cos(ang)])[:, :d_model]\n"),
]
WRONG.append(
    ("batch-axis",
     "import numpy as np\n"
     "def positional_encoding(max_len, d_model):\n"
     "    i = np.arange(d_model)\n"
     "    rates = 1 / np.power(10000, (2 * (i // 2)) / np.float64(d_model))\n"
     "    a = np.arange(max_len)[:, np.newaxis] * rates[np.newaxis, :]\n"
     "    a[:, 0::2] = np.sin(a[:, 0::2])\n"
     "    a[:, 1::2] = np.cos(a[:, 1::2])\n"
     "    return a[np.newaxis, ...]\n"))

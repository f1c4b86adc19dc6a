CORRECT = [
    # the course's loops, one example and one channel at a time
    "import numpy as np\n"
    "def pool_forward(A_prev, f, stride, mode='max'):\n"
    "    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape\n"
    "    n_H = int(1 + (n_H_prev - f) / stride)\n"
    "    n_W = int(1 + (n_W_prev - f) / stride)\n"
    "    n_C = n_C_prev\n"
    "    A = np.zeros((m, n_H, n_W, n_C))\n"
    "    for i in range(m):\n"
    "        for h in range(n_H):\n"
    "            vert_start = h * stride\n"
    "            for w in range(n_W):\n"
    "                horiz_start = w * stride\n"
    "                for c in range(n_C):\n"
    "                    a_prev_slice = A_prev[i, vert_start:vert_start + f, horiz_start:horiz_start + f, c]\n"
    "                    if mode == 'max':\n"
    "                        A[i, h, w, c] = np.max(a_prev_slice)\n"
    "                    elif mode == 'average':\n"
    "                        A[i, h, w, c] = np.mean(a_prev_slice)\n"
    "    return A\n",
    # sliding windows
    "import numpy as np\n"
    "from numpy.lib.stride_tricks import sliding_window_view\n"
    "def pool_forward(A_prev, f, stride, mode='max'):\n"
    "    win = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]\n"
    "    return win.max(axis=(-2, -1)) if mode == 'max' else win.mean(axis=(-2, -1))\n",
]
WRONG = [
    ("ignores-mode",
     "import numpy as np\n"
     "from numpy.lib.stride_tricks import sliding_window_view\n"
     "def pool_forward(A_prev, f, stride, mode='max'):\n"
     "    win = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]\n"
     "    return win.max(axis=(-2, -1))\n"),
    ("sum-not-mean",
     "import numpy as np\n"
     "def pool_forward(A_prev, f, stride, mode='max'):\n"
     "    m, H, W, C = A_prev.shape\n"
     "    nH, nW = (H - f) // stride + 1, (W - f) // stride + 1\n"
     "    A = np.zeros((m, nH, nW, C))\n"
     "    for h in range(nH):\n"
     "        for w in range(nW):\n"
     "            s = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]\n"
     "            A[:, h, w, :] = s.max(axis=(1, 2)) if mode == 'max' else s.sum(axis=(1, 2))\n"
     "    return A\n"),
    ("across-channels",
     "import numpy as np\n"
     "def pool_forward(A_prev, f, stride, mode='max'):\n"
     "    m, H, W, C = A_prev.shape\n"
     "    nH, nW = (H - f) // stride + 1, (W - f) // stride + 1\n"
     "    A = np.zeros((m, nH, nW, C))\n"
     "    for i in range(m):\n"
     "        for h in range(nH):\n"
     "            for w in range(nW):\n"
     "                for c in range(C):\n"
     "                    s = A_prev[i, h * stride:h * stride + f, w * stride:w * stride + f]\n"
     "                    A[i, h, w, c] = np.max(s) if mode == 'max' else np.mean(s)\n"
     "    return A\n"),
]

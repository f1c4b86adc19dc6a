CORRECT = [
    # the course's four nested loops
    "import numpy as np\n"
    "def conv_single_step(a_slice, W, b):\n"
    "    return np.sum(a_slice * W) + np.squeeze(b)\n"
    "def conv_forward(A_prev, W, b, stride, pad):\n"
    "    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape\n"
    "    (f, f, n_C_prev, n_C) = W.shape\n"
    "    n_H = int((n_H_prev + 2 * pad - f) / stride) + 1\n"
    "    n_W = int((n_W_prev + 2 * pad - f) / stride) + 1\n"
    "    Z = np.zeros((m, n_H, n_W, n_C))\n"
    "    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode='constant', constant_values=(0, 0))\n"
    "    for i in range(m):\n"
    "        a_prev_pad = A_prev_pad[i]\n"
    "        for h in range(n_H):\n"
    "            vert_start = stride * h\n"
    "            vert_end = vert_start + f\n"
    "            for w in range(n_W):\n"
    "                horiz_start = stride * w\n"
    "                horiz_end = horiz_start + f\n"
    "                for c in range(n_C):\n"
    "                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]\n"
    "                    Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])\n"
    "    return Z\n",
    # sliding windows and einsum
    "import numpy as np\n"
    "from numpy.lib.stride_tricks import sliding_window_view\n"
    "def conv_forward(A_prev, W, b, stride, pad):\n"
    "    f = W.shape[0]\n"
    "    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
    "    win = sliding_window_view(A, (f, f), axis=(1, 2))[:, ::stride, ::stride]\n"
    "    return np.einsum('mhwcij,ijcd->mhwd', win, W) + b\n",
    # im2col: one matrix product
    "import numpy as np\n"
    "def conv_forward(A_prev, W, b, stride, pad):\n"
    "    m, H, Wd, C = A_prev.shape\n"
    "    f, _, _, K = W.shape\n"
    "    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
    "    nH = (H + 2 * pad - f) // stride + 1\n"
    "    nW = (Wd + 2 * pad - f) // stride + 1\n"
    "    cols = np.stack([A[:, i * stride:i * stride + f, j * stride:j * stride + f, :].reshape(m, -1)\n"
    "                     for i in range(nH) for j in range(nW)], axis=1)\n"
    "    Z = cols @ W.reshape(-1, K) + b.reshape(1, 1, K)\n"
    "    return Z.reshape(m, nH, nW, K)\n",
]
WRONG = [
    ("stride-ignored-in-window",
     "import numpy as np\n"
     "def conv_forward(A_prev, W, b, stride, pad):\n"
     "    m, H, Wd, C = A_prev.shape\n"
     "    f, _, _, K = W.shape\n"
     "    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
     "    nH = (H + 2 * pad - f) // stride + 1\n"
     "    nW = (Wd + 2 * pad - f) // stride + 1\n"
     "    Z = np.zeros((m, nH, nW, K))\n"
     "    for i in range(m):\n"
     "        for h in range(nH):\n"
     "            for w in range(nW):\n"
     "                for c in range(K):\n"
     "                    Z[i, h, w, c] = np.sum(A[i, h:h + f, w:w + f, :] * W[..., c]) + b[0, 0, 0, c]\n"
     "    return Z\n"),
    ("flipped-kernel",
     "import numpy as np\n"
     "from numpy.lib.stride_tricks import sliding_window_view\n"
     "def conv_forward(A_prev, W, b, stride, pad):\n"
     "    f = W.shape[0]\n"
     "    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
     "    win = sliding_window_view(A, (f, f), axis=(1, 2))[:, ::stride, ::stride]\n"
     "    return np.einsum('mhwcij,ijcd->mhwd', win, np.flip(W, axis=(0, 1))) + b\n"),
    ("no-bias",
     "import numpy as np\n"
     "def conv_forward(A_prev, W, b, stride, pad):\n"
     "    m, H, Wd, C = A_prev.shape\n"
     "    f, _, _, K = W.shape\n"
     "    A = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))\n"
     "    nH = (H + 2 * pad - f) // stride + 1\n"
     "    nW = (Wd + 2 * pad - f) // stride + 1\n"
     "    Z = np.zeros((m, nH, nW, K))\n"
     "    for h in range(nH):\n"
     "        for w in range(nW):\n"
     "            for c in range(K):\n"
     "                Z[:, h, w, c] = np.sum(A[:, h * stride:h * stride + f, w * stride:w * stride + f, :] * W[..., c], axis=(1, 2, 3))\n"
     "    return Z\n"),
]

CORRECT = [
    # einsum with an ellipsis, -inf instead of -1e9 via np.where
    "import numpy as np\n"
    "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
    "    s = np.einsum('...qd,...kd->...qk', Q, K) / np.sqrt(K.shape[-1])\n"
    "    if mask is not None:\n"
    "        s = np.where(mask, s, -np.inf)\n"
    "    s = s - s.max(axis=-1, keepdims=True)\n"
    "    w = np.exp(s)\n"
    "    w /= w.sum(axis=-1, keepdims=True)\n"
    "    return np.einsum('...qk,...kv->...qv', w, V), w\n",
    # TensorFlow-tutorial style: additive mask scaled by -1e9 on the inverted mask, matmul with transpose
    "import numpy as np\n"
    "def softmax(x):\n"
    "    x = x - np.max(x, axis=-1, keepdims=True)\n"
    "    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)\n"
    "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
    "    dk = K.shape[-1]\n"
    "    axes = list(range(K.ndim))\n"
    "    axes[-1], axes[-2] = axes[-2], axes[-1]\n"
    "    logits = np.matmul(Q, np.transpose(K, axes)) / np.sqrt(dk)\n"
    "    if mask is not None:\n"
    "        logits += (1.0 - mask.astype(float)) * -1e9\n"
    "    w = softmax(logits)\n"
    "    return np.matmul(w, V), w\n",
    # loops over the flattened batch, log-sum-exp softmax
    "import numpy as np\n"
    "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
    "    lead = Q.shape[:-2]\n"
    "    nq, dk = Q.shape[-2:]\n"
    "    nk, dv = V.shape[-2:]\n"
    "    M = np.ones(lead + (nq, nk), dtype=bool) if mask is None else np.broadcast_to(mask, lead + (nq, nk))\n"
    "    q, k, v, mm = Q.reshape(-1, nq, dk), K.reshape(-1, nk, dk), V.reshape(-1, nk, dv), M.reshape(-1, nq, nk)\n"
    "    out = np.empty((q.shape[0], nq, dv)); W = np.empty((q.shape[0], nq, nk))\n"
    "    for b in range(q.shape[0]):\n"
    "        for i in range(nq):\n"
    "            s = k[b] @ q[b, i] / dk ** 0.5 - 1e9 * (~mm[b, i])\n"
    "            lse = s.max() + np.log(np.sum(np.exp(s - s.max())))\n"
    "            W[b, i] = np.exp(s - lse)\n"
    "            out[b, i] = W[b, i] @ v[b]\n"
    "    return out.reshape(lead + (nq, dv)), W.reshape(lead + (nq, nk))\n",
]
WRONG = [
    ("full-transpose",
     "import numpy as np\n"
     "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
     "    scores = np.matmul(Q, K.T) / np.sqrt(K.shape[-1])\n"
     "    if mask is not None:\n"
     "        scores = scores + (~mask) * -1e9\n"
     "    scores -= scores.max(axis=-1, keepdims=True)\n"
     "    w = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)\n"
     "    return w @ V, w\n"),
    ("naive-softmax",
     "import numpy as np\n"
     "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
     "    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(K.shape[-1])\n"
     "    if mask is not None:\n"
     "        scores = np.where(mask, scores, -1e9)\n"
     "    w = np.exp(scores) / np.sum(np.exp(scores), axis=-1, keepdims=True)\n"
     "    return w @ V, w\n"),
    ("mask-inverted",
     "import numpy as np\n"
     "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
     "    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(K.shape[-1])\n"
     "    if mask is not None:\n"
     "        scores = scores + mask * -1e9\n"
     "    scores -= scores.max(axis=-1, keepdims=True)\n"
     "    w = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)\n"
     "    return w @ V, w\n"),
    ("no-scaling",
     "import numpy as np\n"
     "def scaled_dot_product_attention(Q, K, V, mask=None):\n"
     "    s = np.einsum('...qd,...kd->...qk', Q, K)\n"
     "    if mask is not None:\n"
     "        s = np.where(mask, s, -1e9)\n"
     "    s = s - s.max(-1, keepdims=True)\n"
     "    w = np.exp(s) / np.exp(s).sum(-1, keepdims=True)\n"
     "    return w @ V, w\n"),
]

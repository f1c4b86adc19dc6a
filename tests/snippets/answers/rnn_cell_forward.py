CORRECT = [
    # the course's style
    "import numpy as np\n"
    "def softmax(x):\n"
    "    e_x = np.exp(x - np.max(x))\n"
    "    return e_x / e_x.sum(axis=0)\n"
    "def rnn_cell_forward(xt, a_prev, parameters):\n"
    "    Wax = parameters['Wax']\n"
    "    Waa = parameters['Waa']\n"
    "    Wya = parameters['Wya']\n"
    "    ba = parameters['ba']\n"
    "    by = parameters['by']\n"
    "    a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)\n"
    "    yt_pred = softmax(np.dot(Wya, a_next) + by)\n"
    "    return a_next, yt_pred\n",
    # stacked [a_prev; xt] with one concatenated matrix
    "import numpy as np\n"
    "def rnn_cell_forward(xt, a_prev, parameters):\n"
    "    W = np.hstack([parameters['Waa'], parameters['Wax']])\n"
    "    a_next = np.tanh(W @ np.vstack([a_prev, xt]) + parameters['ba'])\n"
    "    z = parameters['Wya'] @ a_next + parameters['by']\n"
    "    logp = z - z.max(0) - np.log(np.exp(z - z.max(0)).sum(0))\n"
    "    return (a_next, np.exp(logp))\n",
]
WRONG = [
    ("returns-cache",
     "import numpy as np\n"
     "def rnn_cell_forward(xt, a_prev, parameters):\n"
     "    a_next = np.tanh(parameters['Wax'] @ xt + parameters['Waa'] @ a_prev + parameters['ba'])\n"
     "    z = parameters['Wya'] @ a_next + parameters['by']\n"
     "    yt_pred = np.exp(z) / np.sum(np.exp(z), axis=0)\n"
     "    cache = (a_next, a_prev, xt, parameters)\n"
     "    return a_next, yt_pred, cache\n"),
    ("softmax-wrong-axis",
     "import numpy as np\n"
     "def rnn_cell_forward(xt, a_prev, parameters):\n"
     "    a_next = np.tanh(parameters['Wax'] @ xt + parameters['Waa'] @ a_prev + parameters['ba'])\n"
     "    z = parameters['Wya'] @ a_next + parameters['by']\n"
     "    return a_next, np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)\n"),
]

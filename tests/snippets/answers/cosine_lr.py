CORRECT = [
    # numpy, returns numpy floats
    "import numpy as np\n"
    "def cosine_lr(step, total_steps, lr_max, lr_min=0.0, warmup_steps=0):\n"
    "    if warmup_steps > 0 and step < warmup_steps:\n"
    "        return lr_max * (step + 1) / warmup_steps\n"
    "    t = (step - warmup_steps) / (total_steps - warmup_steps)\n"
    "    return lr_min + (lr_max - lr_min) * (np.cos(np.pi * t) + 1) / 2\n",
    # the cosine as a cos^2 (1 + cos x = 2 cos^2(x/2)), linear warm-up by interpolation
    "import math\n"
    "def cosine_lr(step, total_steps, lr_max, lr_min=0.0, warmup_steps=0):\n"
    "    if step >= warmup_steps:\n"
    "        frac = (step - warmup_steps) / float(total_steps - warmup_steps)\n"
    "        return lr_min + (lr_max - lr_min) * math.cos(math.pi * frac / 2) ** 2\n"
    "    return float((step + 1) * (lr_max / warmup_steps))\n",
]
WRONG = [
    ("warmup-from-zero",
     "import math\n"
     "def cosine_lr(step, total_steps, lr_max, lr_min=0.0, warmup_steps=0):\n"
     "    if step < warmup_steps:\n"
     "        return lr_max * (step / warmup_steps)\n"
     "    p = (step - warmup_steps) / (total_steps - warmup_steps)\n"
     "    return lr_min + (lr_max - lr_min) * 0.5 * (1.0 + math.cos(math.pi * p))\n"),
    ("cosine-ignores-warmup",
     "import numpy as np\n"
     "def cosine_lr(step, total_steps, lr_max, lr_min=0.0, warmup_steps=0):\n"
     "    if step < warmup_steps:\n"
     "        return lr_max * (step + 1) / warmup_steps\n"
     "    return lr_min + (lr_max - lr_min) * (1 + np.cos(np.pi * step / total_steps)) / 2\n"),
    ("ignores-lr-min",
     "import math\n"
     "def cosine_lr(step, total_steps, lr_max, lr_min=0.0, warmup_steps=0):\n"
     "    if step < warmup_steps:\n"
     "        return lr_max * (step + 1) / warmup_steps\n"
     "    return lr_max * 0.5 * (1 + math.cos(math.pi * (step - warmup_steps) / (total_steps - warmup_steps)))\n"),
]

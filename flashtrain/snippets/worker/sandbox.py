"""The sandbox every forked child enters before it runs any snippet or learner code.

Applied in the child right after the fork (see `enter_child`), in this order: die with the worker
(PR_SET_PDEATHSIG), own process group (so the worker can kill everything the child left), pipes on
fixed descriptors and everything else closed, then resource limits (CPU, file size, open files, no
core dumps, no new processes), a private network namespace, the address-space limit, and last a
seccomp filter that refuses process creation, exec, networking, signals to others and reading other
processes' memory. Each protection is best effort: what the kernel granted is reported back
(`{"netns": ..., "seccomp": ...}`) and shown with the result.

Self-contained (stdlib + numpy) so the worker starts fast.
"""

from __future__ import annotations

import ctypes
import errno
import math
import os
import random
import resource
import signal
import sys

import numpy as np

DEFAULT_MEMORY = 1 << 30
IN_CHILD = False  # True in a forked child (rlimit changes are only ever made there)

_SECCOMP_DENY = {  # syscalls a check never needs: processes, exec, network, signals, other processes' memory
    "x86_64": (0xC000003E, [41, 42, 49, 50, 56, 57, 58, 59, 62, 101, 165, 272, 308, 310, 311, 322, 424, 435]),
    "aarch64": (0xC00000B7, [198, 200, 201, 203, 220, 221, 129, 117, 40, 97, 268, 270, 271, 281, 424, 435]),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None


def _install_seccomp() -> bool:
    """A small deny-list BPF filter (EPERM), written with ctypes so no extra package is needed."""
    spec = _SECCOMP_DENY.get(os.uname().machine)
    if spec is None or _LIBC is None:
        return False
    arch, numbers = spec
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, allow), (ld, 0, 0, 0)]
    if arch == 0xC000003E:  # refuse the x32 ABI outright (it aliases syscall numbers)
        prog.append((0x35, 0, 1, 0x40000000))  # BPF_JMP|BPF_JGE|BPF_K
        prog.append((ret, 0, 0, deny))
    for nr in numbers:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, deny)]
    prog.append((ret, 0, 0, allow))
    filters = (_SockFilter * len(prog))(*[_SockFilter(*p) for p in prog])
    fprog = _SockFprog(len(prog), filters)
    if _LIBC.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return _LIBC.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, FILTER


def _unshare_network() -> bool:
    if _LIBC is None:
        return False
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    if _LIBC.unshare(clone_newnet) == 0:
        return True
    return _LIBC.unshare(clone_newuser | clone_newnet) == 0


def _set_limit(which, soft, hard) -> None:
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass  # cannot raise a limit above the current hard one; the lower existing limit stays


def apply_sandbox(cwd: str, limits: dict) -> dict:
    # The hard limit bounds the whole child (all its checks); the soft one covers the first step and
    # is raised per check (see allow_cpu). soft < hard: SIGXCPU first, SIGKILL after.
    hard = max(1, math.ceil(limits.get("cpu", limits["timeout"]))) + 1
    soft = min(hard - 1, max(1, math.ceil(limits["timeout"] + limits.get("import_allowance", 0.0))))
    _set_limit(resource.RLIMIT_CPU, soft, hard)
    _set_limit(resource.RLIMIT_FSIZE, 1 << 20, 1 << 20)
    _set_limit(resource.RLIMIT_NOFILE, 64, 64)
    _set_limit(resource.RLIMIT_CORE, 0, 0)
    if os.getuid() != 0:
        _set_limit(resource.RLIMIT_NPROC, 0, 0)  # counts per uid; has no effect for root
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write raises OSError instead
    os.chdir(cwd)
    net = _unshare_network() if limits.get("network_namespace", True) else False
    # numpy is already imported, so the address-space limit cannot break its import
    _set_limit(resource.RLIMIT_AS, limits.get("memory", DEFAULT_MEMORY), limits.get("memory", DEFAULT_MEMORY))
    sec = _install_seccomp() if limits.get("seccomp", True) else False
    return {"netns": net, "seccomp": sec}


def reseed_global_rngs() -> None:
    """Give this child its own global `numpy.random` and `random` state. A fork copies the
    worker's state, so without this every child (every check, every attempt) would draw the same
    numbers from np.random, and code that wrongly ignores `rng` would look deterministic. Done in
    the child after the fork, so a child forked in advance (prefetch) differs too."""
    np.random.seed(np.frombuffer(os.urandom(16), dtype=np.uint32))
    random.seed(os.urandom(16))


def make_memory_unreadable() -> None:
    """PR_SET_DUMPABLE 0: a same-user process (a learner child) cannot read this child's memory."""
    if IN_CHILD and _LIBC is not None:
        _LIBC.prctl(4, 0, 0, 0, 0)


def allow_cpu(seconds: float) -> None:
    """Raise the soft CPU limit to the CPU used so far plus `seconds` (never past the hard limit,
    which bounds the whole child); the wall-clock kill in the worker is the primary guard."""
    if not IN_CHILD:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    _set_limit(resource.RLIMIT_CPU, want, hard)


def enter_child(body, limits: dict, cwd: str, result_w: int, output_w: int, go_r: int | None) -> None:
    """Run `body(features)` in a freshly forked child, inside the sandbox, then _exit (never returns).
    The child sees frames on fd 3, the go pipe (if any) on fd 4, and its output on fds 1 and 2."""
    global IN_CHILD
    IN_CHILD = True
    code = 70
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if _LIBC is not None:
            _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: die with the worker
        os.setpgid(0, 0)
        os.dup2(result_w, 3)
        if go_r is not None:
            os.dup2(go_r, 4)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_w, 1)
        os.dup2(output_w, 2)
        os.closerange(5 if go_r is not None else 4, 1 << 16)
        features = apply_sandbox(cwd, limits)
        reseed_global_rngs()
        body(features)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        code = 0
    except BaseException:  # noqa: BLE001
        code = 71
    finally:
        os._exit(code)


def layers_from(features: dict):
    """The typed report of what held in a child (features as the child sent them)."""
    from flashtrain.snippets.protocol import Layers

    known = Layers.__dataclass_fields__
    return Layers(**{k: v for k, v in features.items() if k in known})

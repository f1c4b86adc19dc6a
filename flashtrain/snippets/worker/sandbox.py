"""The sandbox every forked child enters before it runs any snippet or learner code.

The worker itself already lives in user + mount + PID + network namespaces with a private,
read-only root (isolation.py). Applied in the child right after the fork (see `enter_child`), in
this order: die with the worker (PR_SET_PDEATHSIG), own process group (so the worker can kill
everything the child left), pipes on fixed descriptors and everything else closed; resource limits
(CPU, file size, open files, no core dumps, no new processes); its own mount namespace with a
fresh tmpfs of TMP_QUOTA bytes on /tmp as its only writable place (gone when the child ends, so
nothing survives into the next check; the worker's empty network namespace is shared), all
capabilities dropped; a scrubbed environment (HOME and TMPDIR are that folder); Landlock (read only
what isolation.py bound, write only its folder, no TCP, no signals outside itself); the
address-space limit; not dumpable (no process may read its memory); and last a seccomp filter
(seccomp.py) that refuses process creation, exec, networking, every way to signal or trace another
process, mounts and namespaces, and allows only the syscalls a check needs. Where the kernel
refuses namespaces, the child gets a fresh folder in the worker's host folder instead, and Landlock
is the filesystem wall.
Each layer is best effort and what held is reported back (protocol.Layers) with every result.

Self-contained (stdlib + numpy) so the worker starts fast.
"""

from __future__ import annotations

import ctypes
import math
import os
import random
import resource
import signal
import sys

import numpy as np

from flashtrain.snippets.worker import landlock, seccomp
from flashtrain.snippets.worker.isolation import writable_dir

DEFAULT_MEMORY = 1 << 30
IN_CHILD = False  # True in a forked child (rlimit changes are only ever made there)

TMP_QUOTA = 16 << 20  # bytes a child may write in total (its tmpfs); RLIMIT_FSIZE caps each file
TMP_INODES = 2048
CHILD_ENV = {"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1"}
CLONE_NEWNS = 0x00020000


class _Confinement:
    """What the worker got at start (isolation.py) and so what each child builds on."""
    private_root = False
    unprivileged = False
    userns = False
    pidns = False
    netns = False  # the worker's own (empty) network namespace, which its children share
    seccomp_allowlist = False  # the allow-list held in the worker's probe child (main.allowlist_problem)
    read_only: tuple[str, ...] = ()  # what Landlock lets a child read
    problems: tuple[str, ...] = ()


CONFINEMENT = _Confinement()


def set_confinement(isolation) -> None:
    CONFINEMENT.private_root = isolation.private_root
    CONFINEMENT.unprivileged = isolation.unprivileged
    CONFINEMENT.userns = isolation.userns
    CONFINEMENT.pidns = isolation.pidns
    CONFINEMENT.netns = isolation.netns
    CONFINEMENT.read_only = tuple(isolation.read_only)
    CONFINEMENT.problems = tuple(isolation.problems)


try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None


def _unshare_network() -> bool:
    if _LIBC is None:
        return False
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    if _LIBC.unshare(clone_newnet) == 0:
        return True
    return _LIBC.unshare(clone_newuser | clone_newnet) == 0


def _private_tmp() -> tuple[bool, str | None]:
    """Own mount namespace and a fresh size-limited tmpfs on /tmp, the child's only writable
    place: (mount namespace, problem). No network namespace of its own: the worker's is already
    empty (created at start, loopback down, no capability left to raise it), sockets are refused by
    seccomp, and a namespace per child cost 2-7 ms per fork here plus its teardown in the kernel."""
    if _LIBC.unshare(CLONE_NEWNS) != 0:
        return False, f"unshare: {os.strerror(ctypes.get_errno())}"
    data = f"size={TMP_QUOTA},nr_inodes={TMP_INODES},mode=0700".encode()
    target = writable_dir(CONFINEMENT.read_only).encode()
    if _LIBC.mount(b"tmpfs", target, b"tmpfs", ctypes.c_ulong(2 | 4), data) != 0:  # MS_NOSUID|MS_NODEV
        return True, f"tmpfs: {os.strerror(ctypes.get_errno())}"
    return True, None


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> bool:
    """The child is root of the worker's user namespace: give up every capability it has there."""
    nr = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)
    if nr is None or _LIBC is None:
        return False
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    return _LIBC.syscall(nr, ctypes.byref(header), ctypes.byref(data)) == 0


def _scrub_environment(home: str) -> None:
    """Nothing of the app's environment (no FLASHTRAIN_*, no HOME): just what a check needs."""
    os.environ.clear()
    os.environ.update(CHILD_ENV, HOME=home, TMPDIR=home)


def _set_limit(which, soft, hard) -> None:
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass  # cannot raise a limit above the current hard one; the lower existing limit stays


def apply_sandbox(cwd: str | None, limits: dict) -> dict:
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
    network = limits.get("network_namespace", True)
    features = {"userns": CONFINEMENT.userns, "pidns": CONFINEMENT.pidns, "root": "none",
                "unprivileged": CONFINEMENT.unprivileged}
    problems = list(CONFINEMENT.problems)
    if CONFINEMENT.private_root:
        features["root"] = "private"
        mountns, problem = _private_tmp()
        features.update(mountns=mountns, netns=CONFINEMENT.netns, tmpfs=problem is None)
        if problem:
            problems.append(problem)
        cwd = writable_dir(CONFINEMENT.read_only)
        if not _drop_capabilities():
            problems.append("could not drop capabilities")
        read = ["/"]  # everything in the private root is read-only and chosen
    else:
        features["netns"] = _unshare_network() if network else False
        read = list(CONFINEMENT.read_only)
    os.chdir(cwd)
    _scrub_environment(cwd)
    if limits.get("landlock", True):
        problem = landlock.restrict(read, [cwd])
        features["landlock"] = problem is None
        if problem:
            problems.append(problem)
        elif features["root"] == "none":
            features["root"] = "landlock"
    # numpy is already imported, so the address-space limit cannot break its import
    _set_limit(resource.RLIMIT_AS, limits.get("memory", DEFAULT_MEMORY), limits.get("memory", DEFAULT_MEMORY))
    if _LIBC is not None:
        _LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no same-user process may read this one's memory
    mode = seccomp.install(_LIBC, CONFINEMENT.seccomp_allowlist) if limits.get("seccomp", True) else None
    features["seccomp"], features["seccomp_allowlist"] = mode is not None, mode == "allow-list"
    if problems:
        features["problems"] = problems
    return features


def reseed_global_rngs() -> None:
    """Give this child its own global `numpy.random` and `random` state. A fork copies the
    worker's state, so without this every child (every check, every attempt) would draw the same
    numbers from np.random, and code that wrongly ignores `rng` would look deterministic. Done in
    the child after the fork, so a child forked in advance (prefetch) differs too."""
    np.random.seed(np.frombuffer(os.urandom(16), dtype=np.uint32))
    random.seed(os.urandom(16))


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
        try:  # on the child's output pipe: shown with the check
            import traceback
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


def layers_from(features: dict):
    """The typed report of what held in a child (features as the child sent them)."""
    from flashtrain.snippets.protocol import Layers

    known = Layers.__dataclass_fields__
    return Layers(**{k: v for k, v in features.items() if k in known})

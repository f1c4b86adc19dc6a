"""The worker's own confinement, entered once at start-up (after numpy and every worker module are
imported, before any child is forked): new user, mount, PID, network and IPC namespaces, and a
private root built from read-only bind mounts of what a child needs — the Python standard library,
numpy (with its bundled libraries) and the other ALLOWED_PACKAGES, the system's shared-library folders, a few device files — and
nothing else: no store, no home, no project folder, no site-packages, no /proc. Each child then
mounts its own size-limited tmpfs on /tmp (sandbox.py), so nothing it writes outlives it.

The process that calls `enter` stays outside as a small supervisor: it forks the real worker as
PID 1 of the new PID namespace, waits for it, removes the worker's host folder and exits with its
status. When PID 1 ends, the kernel kills every process left in the namespace, so stopping the app
(or killing the supervisor: the worker has PDEATHSIG) always stops the worker and all children.

Works for an ordinary user where the kernel allows unprivileged user namespaces, and for root (a
worker started as root first drops to uid 65534 by default: main.worker_user, drop_privileges). Where
it is refused, `enter` returns an Isolation saying why and the children rely on Landlock, seccomp
and rlimits instead (see sandbox.py; `flashtrain check --doctor` prints what this machine offers).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import sys
import sysconfig
from dataclasses import dataclass, field

import numpy as np

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 1024, 2048, 4096, 16384, 1 << 18, 1 << 21
MNT_DETACH = 2
_ST_TO_MS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME,
             4096: MS_RELATIME}  # statvfs f_flag bits -> mount flags a re-mount must keep (locked in a userns)
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None


@dataclass
class Isolation:
    """What the worker got: namespaces and a private root, or why not (then `problems` says)."""
    userns: bool = False
    pidns: bool = False
    netns: bool = False  # an empty network namespace of its own (shared by its children)
    private_root: bool = False
    unprivileged: bool = False  # the worker runs as a uid other than root
    problems: list[str] = field(default_factory=list)
    read_only: tuple[str, ...] = ()  # what a child may read (for Landlock): the bound paths


def _errno_text(what: str) -> str:
    err = ctypes.get_errno()
    return f"{what}: {os.strerror(err)} (errno {err})"


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = (lambda v: None if v is None else os.fsencode(v))
    if _LIBC.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        raise OSError(ctypes.get_errno(), f"mount {source} on {target}: {os.strerror(ctypes.get_errno())}")


# Installed packages a snippet or an answer may import besides the standard library (numpy is
# preloaded; the others are imported at grading time, see the import allowance in children.py).
ALLOWED_PACKAGES = ("numpy", "scipy")


def _package_dirs(name: str) -> list[str]:
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)  # a top-level name: found, not imported
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = os.path.abspath(list(spec.submodule_search_locations)[0])
    return [folder, folder + ".libs"]  # manylinux wheels keep OpenBLAS & co beside the package


def read_only_sources() -> list[str]:
    """What a child may read: the standard library, the allowed packages with their bundled
    libraries, the shared-library folders (for extension modules the standard library loads
    lazily: ssl, sqlite3, lzma, ...) and a few device files."""
    paths = []
    for key in ("stdlib", "platstdlib"):
        paths.append(sysconfig.get_paths()[key])
    for name in ALLOWED_PACKAGES:
        paths += _package_dirs(name)
    paths += library_dirs()
    paths += ["/etc/ld.so.cache", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"]
    seen, out = set(), []
    for p in paths:
        real = os.path.realpath(p)
        if os.path.exists(real) and real not in seen:
            seen.add(real)
            out.append(real)
    return out


SYSTEM_LIBRARY_DIRS = ("/lib", "/lib64", "/lib32", "/usr/lib", "/usr/lib64", "/usr/lib32")


def library_dirs(cache: str = "/etc/ld.so.cache") -> list[str]:
    """The folders the dynamic loader finds shared libraries in: those of every library in its
    cache (on Debian /usr/lib/x86_64-linux-gnu, not the rest of /usr/lib with its Python packages,
    JVMs and tools), plus the loader's own. The cache names each library by its full path, so the
    paths are taken from its string table whatever the cache format's version. Without a readable
    cache: the usual library folders whole."""
    try:
        with open(cache, "rb") as f:
            data = f.read(64 << 20)
    except OSError:
        data = b""
    found = set()
    for path in re.findall(rb"/[^\0]*?\.so[^\0/]*(?=\0)", data):
        folder = os.path.dirname(os.path.realpath(os.fsdecode(path)))
        if os.path.isdir(folder):
            found.add(folder)
    if not found:
        return list(SYSTEM_LIBRARY_DIRS)
    for folder in SYSTEM_LIBRARY_DIRS:  # the loader itself (ld-linux-*.so) lives in one of these
        real = os.path.realpath(folder)
        if os.path.isdir(real) and any(name.startswith("ld-linux") for name in os.listdir(real)):
            found.add(real)
    ordered = sorted(found)
    return [d for d in ordered if not any(d.startswith(other + "/") for other in ordered)]


def writable_dir(sources) -> str:
    """Where each child mounts its private tmpfs: /tmp, unless something the children read lives
    under /tmp (a virtual environment made with mktemp, as CI makes it): a tmpfs there would hide
    it, so the children write in /scratch instead (HOME and TMPDIR point there either way)."""
    return "/scratch" if any(s == "/tmp" or s.startswith("/tmp/") for s in sources) else "/tmp"


def _site_dirs() -> list[str]:
    """site-packages folders: hidden under an empty tmpfs wherever a bound folder contains one."""
    import site

    dirs = set(site.getsitepackages()) | {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    try:
        dirs.add(site.getusersitepackages())
    except Exception:  # noqa: BLE001
        pass
    return sorted(os.path.realpath(d) for d in dirs)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


SYS_OPEN_TREE, SYS_MOVE_MOUNT, SYS_MOUNT_SETATTR = 428, 429, 442  # the same on x86_64 and aarch64
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_RECURSIVE, AT_EMPTY_PATH = 1, 0o2000000, 0x8000, 0x1000
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NOSUID, MOUNT_ATTR_NODEV, MOVE_MOUNT_F_EMPTY_PATH = 1, 2, 4, 4


def drop_privileges(uid: int, tmp_root: str) -> dict[str, int]:
    """Run the rest of the worker as `uid` (the app was started as root: children then cannot
    read root's files even where every other layer failed). First, while still root, takes a
    detached read-only copy of every bind source (open_tree), so the private root can be built from
    them although `uid` may not reach their folders. Returns {path: mount descriptor}."""
    handles = {}
    for path in read_only_sources():
        fd = _LIBC.syscall(SYS_OPEN_TREE, -100, os.fsencode(path), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
        if fd < 0:
            continue
        nodev = 0 if path.startswith("/dev/") else MOUNT_ATTR_NODEV  # device files must stay usable
        attr = _MountAttr(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | nodev, 0, 0, 0)
        if _LIBC.syscall(SYS_MOUNT_SETATTR, fd, b"", AT_EMPTY_PATH | AT_RECURSIVE, ctypes.byref(attr),
                         ctypes.c_size_t(ctypes.sizeof(attr))) != 0:
            os.close(fd)
            continue
        handles[path] = fd
    os.chown(tmp_root, uid, uid)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _LIBC.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: changing ids cleared it; the id maps need it
    return handles


# The worker's namespaces other than its mount namespace (that one is unshared after a fork, see enter).
_WORKER_NAMESPACES = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS


def _map_ids(uid: int, gid: int) -> None:
    """In a user namespace just made: root in it is `uid`/`gid` outside, and setgroups is refused."""
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")


def namespaces_allowed_as(uid: int) -> bool:
    """Whether a process running as `uid` may create the worker's namespaces here (some kernels and
    AppArmor profiles allow it to root only): tried in a throw-away child, which exits at once."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            _LIBC.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE, as in drop_privileges: the id maps need it
            if _LIBC.unshare(_WORKER_NAMESPACES) == 0:
                _map_ids(uid, uid)
                code = 0 if _LIBC.unshare(CLONE_NEWNS) == 0 else 1
        except BaseException:  # noqa: BLE001 - any refusal means no
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _kept_flags(path: str) -> int:
    f = os.statvfs(path).f_flag
    return sum(ms for st, ms in _ST_TO_MS.items() if f & st)


def _bind(path: str, root: str, handles: dict[str, int]) -> None:
    target = root + path
    fd = handles.get(path)
    is_dir = os.path.isdir(f"/proc/self/fd/{fd}" if fd is not None else path)
    if is_dir:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
    if fd is not None:  # a read-only copy taken before dropping privileges: attach it here
        if _LIBC.syscall(SYS_MOVE_MOUNT, fd, b"", -100, os.fsencode(target), MOVE_MOUNT_F_EMPTY_PATH) != 0:
            raise OSError(ctypes.get_errno(), _errno_text(f"move_mount {path}"))
        return
    _mount(path, target, None, MS_BIND | MS_REC)
    flags = _kept_flags(target) | MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
    _mount(None, target, None, flags)


def _build_root(root: str, sources: list[str], handles: dict[str, int]) -> None:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount here reaches the host
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    for link in ("/lib", "/lib64", "/lib32", "/bin", "/sbin"):  # merged-/usr symlinks, as on the host
        if os.path.islink(link):
            os.symlink(os.readlink(link), root + link)
    package_dirs = [s for s in sources if os.path.basename(s).removesuffix(".libs") in ALLOWED_PACKAGES]
    for source in sources:
        if source not in package_dirs and not os.path.islink(source):
            _bind(source, root, handles)
    for site_dir in _site_dirs():  # inside a bound folder (e.g. the stdlib's site-packages): hide it
        target = root + site_dir
        if os.path.isdir(target):
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,nr_inodes=64,mode=0755")
    for source in package_dirs:  # inside the emptied site-packages, or elsewhere
        _bind(source, root, handles)
    for site_dir in _site_dirs():
        target = root + site_dir
        if os.path.ismount(target):
            _mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.makedirs(root + writable_dir(sources), mode=0o755, exist_ok=True)  # where each child mounts its tmpfs
    os.chdir(root)
    if _LIBC.syscall(SYS_PIVOT_ROOT[os.uname().machine], b".", b".") != 0:
        raise OSError(ctypes.get_errno(), _errno_text("pivot_root"))
    if _LIBC.umount2(b".", MNT_DETACH) != 0:  # the host's tree, now stacked under the new root
        raise OSError(ctypes.get_errno(), _errno_text("umount of the old root"))
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _supervise(pid: int, tmp_root: str) -> None:
    """The outer process: forward SIGTERM/SIGINT, wait for the worker, clean up, exit like it."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: _forward(pid, signum))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            status = 0
            break
    shutil.rmtree(tmp_root, ignore_errors=True)
    os._exit(os.waitstatus_to_exitcode(status) if status else 0)


def _forward(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def enter(tmp_root: str, keep_fds: tuple[int, ...], handles: dict[str, int] | None = None) -> Isolation:
    """Enter the namespaces and the private root (see the module docstring); in the worker this
    returns inside them, as PID 1. `keep_fds` are the protocol pipes the supervisor closes;
    `handles` the bind sources drop_privileges opened."""
    handles = handles or {}
    result = Isolation(unprivileged=os.geteuid() != 0)
    if _LIBC is None or os.uname().machine not in SYS_PIVOT_ROOT:
        result.problems.append("namespaces: not supported on this platform")
        return result
    sources = list(handles) if handles else read_only_sources()  # (after a drop, some are out of reach)
    result.read_only = tuple(sources)
    uid, gid = os.geteuid(), os.getegid()
    # The mount namespace is the worker's alone (unshared after the fork): pivot_root moves the root
    # of every process in a mount namespace, and the supervisor must keep the host's view to clean up.
    if _LIBC.unshare(_WORKER_NAMESPACES) != 0:
        result.problems.append(_errno_text("user namespaces refused (unshare)") +
                               "; check kernel.unprivileged_userns_clone / user.max_user_namespaces")
        return result
    try:
        _map_ids(uid, gid)
    except OSError as error:
        result.problems.append(f"user namespace id maps: {error}")
        return result  # in a namespace without ids: the children still get Landlock and seccomp
    result.userns = result.netns = True
    pid = os.fork()
    if pid:
        for fd in keep_fds:
            os.close(fd)
        _supervise(pid, tmp_root)
    # PID 1 of the new namespace from here on (its parent is outside: getppid() is 0): die with the
    # supervisor, and with it every child
    _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    result.pidns = True
    root = os.path.join(tmp_root, "root")
    try:
        if _LIBC.unshare(CLONE_NEWNS) != 0:
            raise OSError(ctypes.get_errno(), _errno_text("mount namespace (unshare)"))
        os.mkdir(root, 0o755)
        _build_root(root, sources, handles)
        result.private_root = True
    except OSError as error:
        result.problems.append(f"private root: {error}")
    for fd in handles.values():
        os.close(fd)
    return result


def _read_first_line(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError:
        return None


def machine_report() -> dict[str, str]:
    """What this machine offers the sandbox (read at start-up, before the worker's own /proc view
    is gone): shown by `flashtrain check --doctor`."""
    from flashtrain.snippets.worker import landlock

    report = {"kernel": f"{os.uname().sysname} {os.uname().release} {os.uname().machine}",
              "python": sys.version.split()[0], "numpy": np.__version__,
              "user": "root" if os.geteuid() == 0 else f"uid {os.geteuid()} (an ordinary user)",
              "landlock ABI": str(landlock.ABI) if landlock.ABI else "not available"}
    for label, path in (("user.max_user_namespaces", "/proc/sys/user/max_user_namespaces"),
                        ("kernel.unprivileged_userns_clone", "/proc/sys/kernel/unprivileged_userns_clone"),
                        ("kernel.apparmor_restrict_unprivileged_userns",
                         "/proc/sys/kernel/apparmor_restrict_unprivileged_userns")):
        value = _read_first_line(path)
        if value is not None:
            report[label] = value
    status = ""
    try:
        with open("/proc/self/status") as f:
            status = f.read()
    except OSError:
        pass
    report["seccomp"] = "available" if "Seccomp:" in status else "unknown (no Seccomp line in /proc/self/status)"
    return report

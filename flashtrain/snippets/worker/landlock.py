"""Landlock (Linux >= 5.13), applied in each child after its private folder exists: the child may
read and execute only the paths it is given, write only beneath its own folder, and (ABI >= 4) make
no TCP connection and bind no TCP port, and (ABI >= 6) signal no process and reach no abstract Unix
socket outside its own domain. Unprivileged, and a second wall behind the private root (or the only
filesystem wall where user namespaces are refused). Stdlib + ctypes only.
"""

from __future__ import annotations

import ctypes
import os

SYS_CREATE, SYS_ADD_RULE, SYS_RESTRICT = 444, 445, 446  # the same numbers on x86_64 and aarch64
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2
CREATE_RULESET_VERSION = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2

try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover
    _LIBC = None


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI (0: unavailable or disabled)."""
    if _LIBC is None or os.uname().machine not in ("x86_64", "aarch64"):
        return 0
    version = _LIBC.syscall(SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(0, version)


ABI = abi_version()


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(read: list[str], write: list[str]) -> str | None:
    """Restrict this process (and anything it could start) for good. None when it held, else why not."""
    if ABI <= 0:
        return "Landlock is not available on this kernel"
    handled = _fs_rights(ABI)
    attr = _RulesetAttr(handled_access_fs=handled,
                        handled_access_net=(NET_BIND_TCP | NET_CONNECT_TCP) if ABI >= 4 else 0,
                        scoped=(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if ABI >= 6 else 0)
    size = 8 if ABI < 4 else 16 if ABI < 6 else 24
    ruleset = _LIBC.syscall(SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"Landlock ruleset: {os.strerror(ctypes.get_errno())}"
    try:
        read_rights = EXECUTE | READ_FILE | READ_DIR
        for paths, rights in ((read, read_rights), (write, handled)):
            for path in paths:
                problem = _allow(ruleset, path, rights & handled)
                if problem:
                    return problem
        if _LIBC.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, required by landlock_restrict_self
            return f"no_new_privs: {os.strerror(ctypes.get_errno())}"
        if _LIBC.syscall(SYS_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return f"Landlock restrict: {os.strerror(ctypes.get_errno())}"
        return None
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, rights: int) -> str | None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return None  # a path this machine does not have: nothing to allow
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(allowed_access=rights, parent_fd=fd)
        if _LIBC.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                         ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            return f"Landlock rule for {path}: {os.strerror(ctypes.get_errno())}"
        return None
    finally:
        os.close(fd)

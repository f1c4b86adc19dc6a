"""The seccomp filter each sandboxed child installs last (sandbox.apply_sandbox): a classic-BPF
program written with ctypes (no extra package), in two parts.

- What an attack needs is refused with EPERM, always (DENIED: process creation, exec, networking,
  every way to signal or trace another process, mounts and namespaces, kernel surfaces a check has
  no use for, System V and POSIX IPC), and the syscalls that act on the process a pid names are
  allowed only on the child itself (SELF_ONLY).
- Everything else is an allow-list (ALLOWED): what the bundled exercises' references and
  checks, their mutants, every demonstration and the learner answers in the tests were traced using
  (strace on x86_64: read, write, mmap, munmap, mremap, brk, close, futex, clock_gettime, getrandom,
  getrusage, prlimit64, newfstatat, openat, lseek, getdents64, ioctl), widened to whole families so
  that another libc or kernel choosing a sibling call (stat/newfstatat/statx, faccessat/faccessat2,
  poll/ppoll, dup2/dup3, futex/futex_waitv) still works, plus what the standard library may do
  inside the child's own folder. A syscall on neither list fails with ENOSYS, which libc reads as
  "this kernel lacks it" and falls back where it can. A name missing on an architecture is skipped.

A worker runs a probe child under the allow-list before its first check (main.allowlist_problem)
and keeps the deny-list alone if that child fails, saying why in `check --doctor`; each result
reports which held (Layers.seccomp, Layers.seccomp_allowlist).
"""

from __future__ import annotations

import ctypes
import errno
import os

ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}  # AUDIT_ARCH_* of the native ABI

DENIED = (
    # processes (a child that joined another process group would escape the worker's kill of its group)
    "clone fork vfork clone3 execve execveat setpgid setsid",
    # network
    "socket connect accept bind listen socketpair accept4",
    # signals to any process, tracing, other processes' memory
    "kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo pidfd_open pidfd_send_signal pidfd_getfd "
    "process_mrelease ptrace process_vm_readv process_vm_writev process_madvise kcmp",
    # filesystem views and namespaces
    "mount umount2 pivot_root chroot unshare setns open_tree move_mount fsopen fsconfig fsmount "
    "fspick mount_setattr",
    # kernel surfaces a check has no use for (io_uring would do socket and file work out of seccomp's sight)
    "bpf perf_event_open userfaultfd keyctl add_key request_key io_uring_setup io_uring_enter "
    "io_uring_register personality ioprio_set",
    # state outside the child's folder that would outlive it in the worker's IPC namespace
    "shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv msgctl mq_open "
    "mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr",
)
# Syscalls that act on the process a pid names, allowed only on the child itself (each listed
# argument 0): every process of the sandbox runs as the same uid, and the kernel lets a process
# change a same-uid process's limits, priority, CPUs and memory placement (a child could cut the
# worker to three open files). setpriority(which, who): PRIO_PROCESS and itself; PRIO_USER would
# reach every process of the uid.
SELF_ONLY = {"prlimit64": (0,), "sched_setaffinity": (0,), "sched_setscheduler": (0,), "sched_setparam": (0,),
             "sched_setattr": (0,), "migrate_pages": (0,), "move_pages": (0,), "get_robust_list": (0,),
             "setpriority": (0, 1)}
# Allowed only with one of these values in the given argument: ioctl only to ask whether a
# descriptor is a terminal and its size (isatty, shutil.get_terminal_size): TCGETS, TIOCGWINSZ.
ARGUMENT_VALUES = {"ioctl": (1, (0x5401, 0x5413))}
# Checked first: nearly every syscall a check makes is one of these.
FREQUENT = ("read write mmap munmap mremap brk close futex clock_gettime getrandom getrusage newfstatat fstat "
            "lseek openat")
ALLOWED = (
    # memory
    "brk mmap munmap mremap mprotect madvise mincore msync",
    # reading files (Landlock and the private root decide which)
    "read readv pread64 preadv preadv2 lseek open openat openat2 close close_range fstat stat lstat "
    "newfstatat statx fstatfs statfs getdents getdents64 readlink readlinkat access faccessat "
    "faccessat2 getcwd chdir fchdir fcntl flock dup dup2 dup3 pipe pipe2 getxattr lgetxattr fgetxattr "
    "listxattr llistxattr flistxattr",
    # writing in its own folder (a tmpfs with a quota)
    "write writev pwrite64 pwritev pwritev2 ftruncate truncate fallocate fsync fdatasync mkdir "
    "mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat symlink symlinkat chmod "
    "fchmod fchmodat fchmodat2 utime utimes utimensat futimesat umask sendfile copy_file_range",
    # time
    "clock_gettime clock_getres clock_nanosleep nanosleep gettimeofday time times getitimer setitimer "
    "alarm",
    # its own signals
    "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigsuspend rt_sigtimedwait sigaltstack "
    "pause restart_syscall",
    # about itself
    "getpid getppid gettid getuid geteuid getgid getegid getresuid getresgid getgroups getpgrp "
    "getpgid getsid getrusage getrlimit setrlimit uname sysinfo getcpu getpriority capget "
    "sched_getaffinity sched_yield sched_getparam sched_getscheduler sched_getattr "
    "sched_get_priority_max sched_get_priority_min sched_rr_get_interval",
    # threads' bookkeeping and exiting (creating a thread is refused above)
    "futex futex_waitv futex_wake futex_wait futex_requeue set_robust_list set_tid_address rseq "
    "arch_prctl exit exit_group",
    # waiting (there is never a child to wait for)
    "wait4 waitid poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_wait "
    "epoll_pwait epoll_pwait2 eventfd eventfd2",
    # randomness
    "getrandom",
)

# From number 424 on, a new syscall gets the same number on every architecture.
_SHARED_NUMBERS = {
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "pidfd_open": 434, "clone3": 435, "close_range": 436, "openat2": 437, "pidfd_getfd": 438,
    "faccessat2": 439, "process_madvise": 440, "epoll_pwait2": 441, "mount_setattr": 442,
    "process_mrelease": 448, "futex_waitv": 449, "fchmodat2": 452, "futex_wake": 454, "futex_wait": 455,
    "futex_requeue": 456,
}

# Syscall numbers of the names above (from the kernel's unistd headers; from 424 on: _SHARED_NUMBERS).
NUMBERS = {
    "x86_64": {
        "read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "fstat": 5, "lstat": 6, "poll": 7,
        "lseek": 8, "mmap": 9, "mprotect": 10, "munmap": 11, "brk": 12, "rt_sigaction": 13,
        "rt_sigprocmask": 14, "rt_sigreturn": 15, "ioctl": 16, "pread64": 17, "pwrite64": 18, "readv": 19,
        "writev": 20, "access": 21, "pipe": 22, "select": 23, "sched_yield": 24, "mremap": 25, "msync": 26,
        "mincore": 27, "madvise": 28, "shmget": 29, "shmat": 30, "shmctl": 31, "dup": 32, "dup2": 33,
        "pause": 34, "nanosleep": 35, "getitimer": 36, "alarm": 37, "setitimer": 38, "getpid": 39,
        "sendfile": 40, "socket": 41, "connect": 42, "accept": 43, "bind": 49, "listen": 50,
        "socketpair": 53, "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "exit": 60, "wait4": 61,
        "kill": 62, "uname": 63, "semget": 64, "semop": 65, "semctl": 66, "shmdt": 67, "msgget": 68,
        "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "fcntl": 72, "flock": 73, "fsync": 74, "fdatasync": 75,
        "truncate": 76, "ftruncate": 77, "getdents": 78, "getcwd": 79, "chdir": 80, "fchdir": 81,
        "rename": 82, "mkdir": 83, "rmdir": 84, "link": 86, "unlink": 87, "symlink": 88, "readlink": 89,
        "chmod": 90, "fchmod": 91, "umask": 95, "gettimeofday": 96, "getrlimit": 97, "getrusage": 98,
        "sysinfo": 99, "times": 100, "ptrace": 101, "getuid": 102, "getgid": 104, "geteuid": 107,
        "getegid": 108, "setpgid": 109, "getppid": 110, "getpgrp": 111, "setsid": 112, "getgroups": 115,
        "getresuid": 118, "getresgid": 120, "getpgid": 121, "getsid": 124, "capget": 125,
        "rt_sigpending": 127, "rt_sigtimedwait": 128, "rt_sigqueueinfo": 129, "rt_sigsuspend": 130,
        "sigaltstack": 131, "utime": 132, "personality": 135, "statfs": 137, "fstatfs": 138,
        "getpriority": 140, "setpriority": 141, "sched_setparam": 142, "sched_getparam": 143,
        "sched_setscheduler": 144, "sched_getscheduler": 145, "sched_get_priority_max": 146,
        "sched_get_priority_min": 147, "sched_rr_get_interval": 148, "pivot_root": 155, "arch_prctl": 158,
        "setrlimit": 160, "chroot": 161, "mount": 165, "umount2": 166, "gettid": 186, "getxattr": 191,
        "lgetxattr": 192, "fgetxattr": 193, "listxattr": 194, "llistxattr": 195, "flistxattr": 196,
        "tkill": 200, "time": 201, "futex": 202, "sched_setaffinity": 203, "sched_getaffinity": 204,
        "epoll_create": 213, "getdents64": 217, "set_tid_address": 218, "restart_syscall": 219,
        "semtimedop": 220, "clock_gettime": 228, "clock_getres": 229, "clock_nanosleep": 230,
        "exit_group": 231, "epoll_wait": 232, "epoll_ctl": 233, "tgkill": 234, "utimes": 235,
        "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
        "mq_getsetattr": 245, "waitid": 247, "add_key": 248, "request_key": 249, "keyctl": 250,
        "ioprio_set": 251, "migrate_pages": 256, "openat": 257, "mkdirat": 258, "futimesat": 261,
        "newfstatat": 262, "unlinkat": 263, "renameat": 264, "linkat": 265, "symlinkat": 266,
        "readlinkat": 267, "fchmodat": 268, "faccessat": 269, "pselect6": 270, "ppoll": 271, "unshare": 272,
        "set_robust_list": 273, "get_robust_list": 274, "move_pages": 279, "utimensat": 280,
        "epoll_pwait": 281, "eventfd": 284, "fallocate": 285, "accept4": 288, "eventfd2": 290,
        "epoll_create1": 291, "dup3": 292, "pipe2": 293, "preadv": 295, "pwritev": 296,
        "rt_tgsigqueueinfo": 297, "perf_event_open": 298, "prlimit64": 302, "setns": 308, "getcpu": 309,
        "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "sched_setattr": 314,
        "sched_getattr": 315, "renameat2": 316, "getrandom": 318, "bpf": 321, "execveat": 322,
        "userfaultfd": 323, "copy_file_range": 326, "preadv2": 327, "pwritev2": 328, "statx": 332,
        "rseq": 334, **_SHARED_NUMBERS
    },
    "aarch64": {
        "getxattr": 8, "lgetxattr": 9, "fgetxattr": 10, "listxattr": 11, "llistxattr": 12, "flistxattr": 13,
        "getcwd": 17, "eventfd2": 19, "epoll_create1": 20, "epoll_ctl": 21, "epoll_pwait": 22, "dup": 23,
        "dup3": 24, "fcntl": 25, "ioctl": 29, "ioprio_set": 30, "flock": 32, "mkdirat": 34, "unlinkat": 35,
        "symlinkat": 36, "linkat": 37, "renameat": 38, "umount2": 39, "mount": 40, "pivot_root": 41,
        "statfs": 43, "fstatfs": 44, "truncate": 45, "ftruncate": 46, "fallocate": 47, "faccessat": 48,
        "chdir": 49, "fchdir": 50, "chroot": 51, "fchmod": 52, "fchmodat": 53, "openat": 56, "close": 57,
        "pipe2": 59, "getdents64": 61, "lseek": 62, "read": 63, "write": 64, "readv": 65, "writev": 66,
        "pread64": 67, "pwrite64": 68, "preadv": 69, "pwritev": 70, "sendfile": 71, "pselect6": 72,
        "ppoll": 73, "readlinkat": 78, "newfstatat": 79, "fstat": 80, "fsync": 82, "fdatasync": 83,
        "utimensat": 88, "capget": 90, "personality": 92, "exit": 93, "exit_group": 94, "waitid": 95,
        "set_tid_address": 96, "unshare": 97, "futex": 98, "set_robust_list": 99, "get_robust_list": 100,
        "nanosleep": 101, "getitimer": 102, "setitimer": 103, "clock_gettime": 113, "clock_getres": 114,
        "clock_nanosleep": 115, "ptrace": 117, "sched_setparam": 118, "sched_setscheduler": 119,
        "sched_getscheduler": 120, "sched_getparam": 121, "sched_setaffinity": 122,
        "sched_getaffinity": 123, "sched_yield": 124, "sched_get_priority_max": 125,
        "sched_get_priority_min": 126, "sched_rr_get_interval": 127, "restart_syscall": 128, "kill": 129,
        "tkill": 130, "tgkill": 131, "sigaltstack": 132, "rt_sigsuspend": 133, "rt_sigaction": 134,
        "rt_sigprocmask": 135, "rt_sigpending": 136, "rt_sigtimedwait": 137, "rt_sigqueueinfo": 138,
        "rt_sigreturn": 139, "setpriority": 140, "getpriority": 141, "getresuid": 148, "getresgid": 150,
        "times": 153, "setpgid": 154, "getpgid": 155, "getsid": 156, "setsid": 157, "getgroups": 158,
        "uname": 160, "getrlimit": 163, "setrlimit": 164, "getrusage": 165, "umask": 166, "getcpu": 168,
        "gettimeofday": 169, "getpid": 172, "getppid": 173, "getuid": 174, "geteuid": 175, "getgid": 176,
        "getegid": 177, "gettid": 178, "sysinfo": 179, "mq_open": 180, "mq_unlink": 181,
        "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185, "msgget": 186,
        "msgctl": 187, "msgrcv": 188, "msgsnd": 189, "semget": 190, "semctl": 191, "semtimedop": 192,
        "semop": 193, "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197, "socket": 198,
        "socketpair": 199, "bind": 200, "listen": 201, "accept": 202, "connect": 203, "brk": 214,
        "munmap": 215, "mremap": 216, "add_key": 217, "request_key": 218, "keyctl": 219, "clone": 220,
        "execve": 221, "mmap": 222, "mprotect": 226, "msync": 227, "mincore": 232, "madvise": 233,
        "migrate_pages": 238, "move_pages": 239, "rt_tgsigqueueinfo": 240, "perf_event_open": 241,
        "accept4": 242, "wait4": 260, "prlimit64": 261, "setns": 268, "process_vm_readv": 270,
        "process_vm_writev": 271, "kcmp": 272, "sched_setattr": 274, "sched_getattr": 275, "renameat2": 276,
        "getrandom": 278, "bpf": 280, "execveat": 281, "userfaultfd": 282, "copy_file_range": 285,
        "preadv2": 286, "pwritev2": 287, "statx": 291, "rseq": 293, **_SHARED_NUMBERS
    },
}


def _names(groups) -> list[str]:
    return [name for text in groups for name in text.split()]


def program(machine: str, allowlist: bool) -> list[tuple] | None:
    """The BPF program for `machine` (None: no table for it): other architectures and the x32 ABI
    refused, DENIED refused, SELF_ONLY and ARGUMENT_VALUES checked, then either the allow-list
    with ENOSYS for the rest, or everything else allowed. (Only an argument's low 32 bits are
    compared: a pid, and an ioctl request, are 32-bit to the kernel.)"""
    numbers, arch = NUMBERS.get(machine), ARCH.get(machine)
    if numbers is None or arch is None:
        return None
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, ..JGE.., BPF_RET|BPF_K
    allow, refuse = 0x7FFF0000, 0x00050000 | errno.EPERM
    absent = 0x00050000 | errno.ENOSYS
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, refuse), (ld, 0, 0, 0)]
    if machine == "x86_64":  # refuse the x32 ABI outright (it aliases syscall numbers)
        prog += [(jge, 0, 1, 0x40000000), (ret, 0, 0, refuse)]

    def each(names, action):
        for name in dict.fromkeys(names):
            if name in numbers:
                prog.extend([(jeq, 0, 1, numbers[name]), (ret, 0, 0, action)])

    special = set(SELF_ONLY) | set(ARGUMENT_VALUES)
    frequent = [n for n in FREQUENT.split() if n not in special] if allowlist else []
    each(frequent, allow)
    each(_names(DENIED), refuse)
    for name, args in SELF_ONLY.items():
        if name not in numbers:
            continue
        n = len(args)
        prog.append((jeq, 0, 2 * n + 2, numbers[name]))  # not this syscall: skip its block
        for i, arg in enumerate(args):  # seccomp_data.args[arg], low word (little-endian)
            prog += [(ld, 0, 0, 16 + 8 * arg), (jeq, 0, 2 * (n - 1 - i) + 1, 0)]
        prog += [(ret, 0, 0, allow), (ret, 0, 0, refuse)]
    if not allowlist:
        prog.append((ret, 0, 0, allow))
        return prog
    for name, (arg, values) in ARGUMENT_VALUES.items():
        if name not in numbers:
            continue
        n = len(values)
        prog += [(jeq, 0, n + 3, numbers[name]), (ld, 0, 0, 16 + 8 * arg)]
        prog += [(jeq, n - i, 0, value) for i, value in enumerate(values)]
        prog += [(ret, 0, 0, absent), (ret, 0, 0, allow)]
    each([n for n in _names(ALLOWED) if n not in special and n not in frequent], allow)  # the rest once
    prog.append((ret, 0, 0, absent))
    return prog


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


_BUILT: dict[bool, _SockFprog | None] = {}  # allowlist -> the program as prctl takes it


def prepare(allowlist: bool) -> _SockFprog | None:
    """The filter as prctl takes it (None: no table for this machine), built once per process: the
    worker builds it before it forks checks (main.main), so a child installs it without building
    the program again (about 0.5 ms for the allow-list)."""
    if allowlist not in _BUILT:
        prog = program(os.uname().machine, allowlist)
        if prog is None:
            _BUILT[allowlist] = None
        else:  # the structure keeps the array it points to alive (ctypes' _objects)
            _BUILT[allowlist] = _SockFprog(len(prog), (_SockFilter * len(prog))(*[_SockFilter(*p) for p in prog]))
    return _BUILT[allowlist]


def install(libc, allowlist: bool) -> str | None:
    """Install the filter in this process: "allow-list", "deny-list", or None when it could not."""
    fprog = prepare(allowlist)
    if fprog is None or libc is None:
        return None
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return None
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        return None
    return "allow-list" if allowlist else "deny-list"

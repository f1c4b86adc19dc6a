"""The seccomp program (worker/seccomp.py) as the kernel would run it, for both architectures and
both modes, run here by a small interpreter of the classic-BPF instructions it uses; its syscall
numbers against the kernel headers; and the worker falling back to the deny-list alone when its
probe child fails under the allow-list."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flashtrain.snippets.worker import seccomp

ALLOW, EPERM, ENOSYS = 0x7FFF0000, 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
MEMFD_CREATE = {"x86_64": 319, "aarch64": 279}  # on neither list


def run(prog, arch: int, nr: int, args=(0, 0, 0, 0, 0, 0)) -> int:
    """The action the program returns for struct seccomp_data {nr, arch, ip, args[6]}."""
    data = {0: nr, 4: arch}
    for i, value in enumerate(args):
        data[16 + 8 * i], data[20 + 8 * i] = value & 0xFFFFFFFF, value >> 32
    pc = acc = 0
    while True:
        code, jt, jf, k = prog[pc]
        if code == 0x20:
            acc, pc = data[k], pc + 1
        elif code in (0x15, 0x35):
            pc += 1 + (jt if (acc == k if code == 0x15 else acc >= k) else jf)
        elif code == 0x06:
            return k
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")


def names(groups) -> list[str]:
    return [name for text in groups for name in text.split()]


@pytest.mark.parametrize("machine", sorted(seccomp.ARCH))
@pytest.mark.parametrize("allowlist", [True, False], ids=["allow-list", "deny-list"])
def test_the_program_refuses_allows_and_checks_arguments(machine, allowlist):
    prog, arch, numbers = seccomp.program(machine, allowlist), seccomp.ARCH[machine], seccomp.NUMBERS[machine]
    assert len(prog) < 4096  # the kernel's limit
    for name in names(seccomp.DENIED):
        if name in numbers:
            assert run(prog, arch, numbers[name]) == EPERM, name
    for name in names(seccomp.ALLOWED):
        if name in numbers and name not in seccomp.ARGUMENT_VALUES:
            assert run(prog, arch, numbers[name]) == ALLOW, name
    for name, args in seccomp.SELF_ONLY.items():
        assert run(prog, arch, numbers[name]) == ALLOW, name
        for arg in args:  # another process named by any of the pid arguments
            other = [0] * 6
            other[arg] = 1
            assert run(prog, arch, numbers[name], other) == EPERM, (name, arg)
    assert "memfd_create" not in numbers
    assert run(prog, arch, MEMFD_CREATE[machine]) == (ENOSYS if allowlist else ALLOW)
    assert run(prog, arch, 1023) == (ENOSYS if allowlist else ALLOW)
    tcgets, fionread = 0x5401, 0x541B
    assert run(prog, arch, numbers["ioctl"], (1, tcgets, 0, 0, 0, 0)) == ALLOW
    assert run(prog, arch, numbers["ioctl"], (1, fionread, 0, 0, 0, 0)) == (ENOSYS if allowlist else ALLOW)
    assert run(prog, 0x40000003, numbers["getpid"]) == EPERM  # i386: another ABI, other numbers
    if machine == "x86_64":
        assert run(prog, arch, 0x40000000 | numbers["getpid"]) == EPERM  # the x32 ABI


def test_a_machine_without_a_table_gets_no_program():
    assert seccomp.program("riscv64", True) is None and seccomp.program("riscv64", False) is None


HEADERS = {"x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
           "aarch64": Path("/usr/include/asm-generic/unistd.h")}


@pytest.mark.parametrize("machine", sorted(HEADERS))
def test_the_numbers_are_the_kernel_headers(machine):
    header = HEADERS[machine]
    if not header.exists():
        pytest.skip(f"{header} is not installed here (Debian: linux-libc-dev)")
    text = header.read_text()
    generic = dict(re.findall(r"#define (__NR3264_\w+)\s+(\d+)", text))
    found = {}
    for name, value in re.findall(r"#define __NR_(\w+)\s+(\S+)", text):
        if value.isdigit() or value in generic:
            found[name] = int(generic.get(value, value))
    ours = seccomp.NUMBERS[machine]
    assert {n: v for n, v in ours.items() if n in found} == {n: found[n] for n in ours if n in found}
    newer = {n for n in ours if n not in found}  # added after these headers: one number on every arch
    assert all(ours[n] >= 424 for n in newer), newer
    listed = set(names(seccomp.DENIED) + names(seccomp.ALLOWED)) | set(seccomp.SELF_ONLY)
    assert listed - set(ours) <= LEGACY_ONLY_ON_X86


# x86_64's older calls that aarch64 (the generic table) never had: the *at forms stand in for them
LEGACY_ONLY_ON_X86 = {"fork", "vfork", "open", "stat", "lstat", "access", "pipe", "dup2", "poll", "select",
                      "mkdir", "rmdir", "unlink", "rename", "link", "symlink", "readlink", "chmod", "utime",
                      "utimes", "futimesat", "getdents", "getpgrp", "pause", "alarm", "time", "epoll_create",
                      "epoll_wait", "eventfd", "arch_prctl"}


@pytest.mark.parametrize("lacking", [(), ("open", "openat", "openat2")], ids=["complete", "no-open"])
def test_without_a_working_allow_list_the_worker_keeps_the_deny_list(tmp_path, lacking):
    """A libc or kernel that needs a syscall the list lacks: the probe child fails, every child then
    gets the deny-list alone, and the reason is kept for --doctor. (Here the list is made to lack
    opening files, so the probe's imports fail; the complete list passes the same probe.)"""
    script = textwrap.dedent(f"""
        import sys
        from flashtrain.snippets.worker import seccomp
        from flashtrain.snippets.worker import main
        from flashtrain.snippets.worker.sandbox import CONFINEMENT
        def drop(text):
            return " ".join(n for n in text.split() if n not in {lacking!r})
        seccomp.FREQUENT = drop(seccomp.FREQUENT)
        seccomp.ALLOWED = tuple(drop(group) for group in seccomp.ALLOWED)
        CONFINEMENT.read_only = tuple(sys.path)
        problem = main.allowlist_problem({str(tmp_path)!r})
        print("ALLOWLIST", CONFINEMENT.seccomp_allowlist)
        print("PROBLEM", problem)
        """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    if lacking:
        assert "ALLOWLIST False" in done.stdout, done.stdout + done.stderr
        assert "the deny-list alone holds" in done.stdout
    else:
        assert "ALLOWLIST True" in done.stdout and "PROBLEM None" in done.stdout, done.stdout + done.stderr

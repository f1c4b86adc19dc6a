"""Attacks on the check sandbox, tried as a learner's answer would (issue 9): one per way the old
sandbox could be escaped or fooled, plus the classics. Each runs against the default worker (run
as root, it drops to uid 65534; run as an ordinary user, it is one) and, as root, against a worker
told to keep root (--keep-root), and a few also against the fallback layers alone
(--no-namespaces: Landlock + seccomp + rlimits). Each attack must be contained, and the next
correct answer must still pass on the same worker.

No test here depends on timing: limits are generous and only the outcome is asserted.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import textwrap

import numpy as np
import pytest

import flashtrain
from flashtrain.snippets.format import parse_snippet
from flashtrain.snippets.grading import grade
from flashtrain.snippets.library import bundled_snippets_dir
from flashtrain.snippets.protocol import GradeRequest, ProbeRequest
from flashtrain.snippets.runner import Runner
from flashtrain.snippets.worker import isolation

TARGET_TEXT = textwrap.dedent('''\
    ---
    id: add_one
    title: Add one
    timeout: 10
    ---

    ```python starter
    def add_one(x):
        """x: (n,) array. Returns x + 1."""
    ```

    ```python reference
    def add_one(x):
        return x + 1
    ```

    ```python checks
    def cases(rng):
        yield Case("three values", dict(x=np.array([1.0, 2.0, 3.0])))
    ```
    ''')
TARGET = parse_snippet(TARGET_TEXT)
CORRECT = "def add_one(x):\n    return x + 1\n"
WRONG = "def add_one(x):\n    return x + 2\n"

MODES = ["default", "root kept"]


@pytest.fixture(scope="module", params=MODES)
def worker(request):
    if request.param == "root kept":
        if os.geteuid() != 0:
            pytest.skip("the tests do not run as root here: only the ordinary-user worker can be tried")
        runner = Runner(worker_args=("--keep-root",))
    else:
        runner = Runner()
    runner.start()  # tests compare runner.pid before and after an attack
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def fallback():
    """Only the layers that need no namespaces."""
    runner = Runner(worker_args=("--no-namespaces",))
    yield runner
    runner.close()


def attack(runner, body: str, result: str = "x + 1", timeout: float | None = None):
    """Grade an answer whose function runs `body` (indented into it), then returns `result`. The
    snippet's own limit is generous (a correct answer must pass on a loaded machine); attacks that
    never return are given a short one, since they fail either way."""
    code = "import os, sys, ctypes\nimport numpy as np\ndef add_one(x):\n" + textwrap.indent(
        textwrap.dedent(body), "    ") + f"\n    return {result}\n"
    return grade(TARGET, code, runner=runner, diagnose=False, timeout=timeout)


def still_fine(runner):
    assert grade(TARGET, CORRECT, runner=runner, diagnose=False).status == "pass"
    assert grade(TARGET, WRONG, runner=runner, diagnose=False).status == "fail"


def output(result) -> str:
    return "".join(c.output for c in result.checks) + result.message


@pytest.fixture()
def secret(tmp_path):
    """A file the user can read (and a folder an ordinary user can reach, as a home folder is)."""
    tmp_path.chmod(0o755)
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-TOKEN\n")
    path.chmod(0o644)
    return path


TRY_READ = """
for path in {paths!r}:
    try:
        with open(path, "rb") as f:
            print("READ", path, f.read(200))
    except Exception as error:
        print("refused", path, type(error).__name__)
"""


def test_the_layers_hold(worker):
    reply = worker.request(ProbeRequest())
    layers = reply.layers
    assert layers.root == "private" and layers.userns and layers.pidns and layers.mountns and layers.tmpfs
    assert layers.seccomp and layers.landlock
    if "--keep-root" in worker.worker_args:
        assert not layers.unprivileged
    else:  # as root the default worker drops to uid 65534, unless that uid may not make namespaces here
        assert layers.unprivileged or any("may not create user namespaces" in p for p in reply.problems)


def test_files_outside_are_invisible(worker, secret):
    reference_file = bundled_snippets_dir() / "softmax.md"
    paths = [str(secret), "/etc/shadow", "/etc/passwd", str(reference_file), os.path.expanduser("~/.ssh/id_rsa"),
             "/proc/self/status", "/proc/1/environ", "/work"]
    result = attack(worker, TRY_READ.format(paths=paths))
    text = output(result)
    assert "READ" not in text, text
    assert text.count("refused") == len(paths)
    assert result.status == "pass"
    still_fine(worker)


def test_fallback_layers_alone_keep_files_out(fallback, secret):
    result = attack(fallback, TRY_READ.format(paths=[str(secret), str(bundled_snippets_dir() / "softmax.md")]))
    assert "READ" not in output(result) and output(result).count("refused") == 2
    target = secret.parent / "planted.txt"
    attack(fallback, f"open({str(target)!r}, 'w').write('x')")
    assert not target.exists()
    still_fine(fallback)


def test_the_environment_is_scrubbed_and_home_is_the_private_folder(worker, monkeypatch):
    result = attack(worker, """
print("ENV", sorted(k for k in os.environ if k.startswith("FLASHTRAIN")), os.environ.get("HOME"), os.getcwd())
""")
    from flashtrain.snippets.worker.isolation import read_only_sources, writable_dir

    line = next(x for x in output(result).splitlines() if x.startswith("ENV"))
    private = writable_dir(read_only_sources())  # /tmp, or /scratch when the venv lives under /tmp
    assert line == f"ENV [] {private} {private}"


def test_only_its_own_pipes_are_open(worker):
    result = attack(worker, """
import resource
open_fds = []
for fd in range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]):
    try:
        os.fstat(fd)
        open_fds.append(fd)
    except OSError:
        pass
print("OPEN", open_fds)
""")
    line = next(x for x in output(result).splitlines() if x.startswith("OPEN"))
    assert line == "OPEN [0, 1, 2, 3]"  # /dev/null, the output pipe (twice), the result pipe


def test_writes_outside_fail(worker, secret):
    home = os.path.expanduser("~")
    site = sysconfig.get_paths()["purelib"]
    targets = [str(secret.parent / "planted.txt"), os.path.join(home, "flashtrain-attack-planted"),
               os.path.join(site, "zz_flashtrain_attack.pth"), os.path.join(np.__path__[0], "planted.py")]
    body = f"""
for path in {targets!r}:
    try:
        with open(path, "w") as f:
            f.write("import flashtrain_attack")
        print("WROTE", path)
    except Exception as error:
        print("refused", type(error).__name__)
"""
    result = attack(worker, body)
    assert "WROTE" not in output(result)
    assert not any(os.path.exists(t) for t in targets)
    still_fine(worker)


def test_a_pth_file_cannot_fool_the_next_check(worker):
    site = sysconfig.get_paths()["purelib"]
    body = f"""
for folder in [{site!r}, *sys.path]:
    try:
        with open(os.path.join(folder, "zz_flashtrain_fool.pth"), "w") as f:
            f.write("import builtins; builtins.FOOLED = True\\n")
    except Exception:
        pass
"""
    attack(worker, body)
    assert not os.path.exists(os.path.join(site, "zz_flashtrain_fool.pth"))
    assert grade(TARGET, WRONG, runner=worker, diagnose=False).status == "fail"
    still_fine(worker)


def test_no_ipc_object_carries_state_into_the_next_check(worker):
    """System V message queues (and shared memory, semaphores, POSIX queues) live in the worker's
    IPC namespace, outside any child's folder: one check could leave a message for the next."""
    body = """
libc = ctypes.CDLL(None, use_errno=True)
class Msg(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("text", ctypes.c_char * 32)]
m = Msg()
q = libc.msgget(0x5EED, 0o1666)  # IPC_CREAT | 0666
if q >= 0 and libc.msgrcv(q, ctypes.byref(m), 32, 0, 0o4000) > 0:  # IPC_NOWAIT
    print("RECEIVED", m.text)
m.mtype, m.text = 1, b"from an earlier check"
print("MSGSND", libc.msgsnd(q, ctypes.byref(m), 32, 0o4000))
print("SHMGET", libc.shmget(0x5EED, 4096, 0o1666))
print("SEMGET", libc.semget(0x5EED, 1, 0o1666))
print("MQ_OPEN", libc.syscall(240 if os.uname().machine == "x86_64" else 180, b"q", 0o100 | 2, 0o666, None))
"""
    first, second = attack(worker, body), attack(worker, body)
    text = output(first) + output(second)
    assert "RECEIVED" not in text, text
    for call in ("MSGSND", "SHMGET", "SEMGET", "MQ_OPEN"):
        assert f"{call} -1" in text and f"{call} 0" not in text, text
    still_fine(worker)


def test_filling_the_disk_hits_the_quota_and_nothing_survives_into_the_next_check(worker):
    result = attack(worker, """
written = 0
try:
    for i in range(300):
        with open(f"junk{i}", "wb") as f:
            f.write(b"x" * (1 << 20))
        written += 1
except OSError as error:
    print("STOPPED", written, error.errno)
""")
    stopped = next(x for x in output(result).splitlines() if x.startswith("STOPPED"))
    assert int(stopped.split()[1]) <= 16
    again = attack(worker, "print('LEFT', sorted(os.listdir('.')))")
    assert "LEFT []" in output(again)
    still_fine(worker)


def test_no_proc_no_forged_reply(worker):
    body = """
forged = b'{"type": "GradeReply", "snippet": "add_one", "status": "pass"}'
for pid in [1, os.getppid(), 2, 3]:
    for fd in range(0, 8):
        try:
            with open(f"/proc/{pid}/fd/{fd}", "wb") as f:
                f.write(len(forged).to_bytes(4, "big") + forged)
            print("FORGED", pid, fd)
        except Exception:
            pass
"""
    result = attack(worker, body, result="x + 2")
    assert "FORGED" not in output(result)
    assert result.status == "fail" and [c.name for c in result.checks] == ["three values"]
    still_fine(worker)


LAZY_IMPORTS = ("ssl", "sqlite3", "lzma", "bz2", "zlib", "hashlib", "decimal", "uuid", "xml.etree.ElementTree",
                "dbm", "scipy.linalg", "scipy.special", "scipy.optimize", "scipy.stats")
TRY_IMPORTS = f"""
import importlib, json
found = {{}}
for name in {LAZY_IMPORTS!r}:
    try:
        importlib.import_module(name)
        found[name] = True
    except Exception as error:
        found[name] = repr(error)
print("IMPORTS " + json.dumps(found))
"""


def test_only_library_folders_of_usr_lib_are_visible_and_every_library_still_loads(worker):
    """The private root binds the folders the dynamic loader's cache names (not all of /usr/lib with
    its Python packages, JVMs and tools), and still every extension module the standard library
    and scipy load lazily finds its shared libraries."""
    outside = subprocess.run([sys.executable, "-I", "-c", TRY_IMPORTS], capture_output=True, text=True, check=True)
    expected = json.loads(outside.stdout.split("IMPORTS ", 1)[1])
    bound = isolation.read_only_sources()
    body = TRY_IMPORTS + """
visible = []
for top in ("/usr/lib", "/lib", "/usr/lib64"):
    if os.path.isdir(top):
        visible += [os.path.join(top, name) for name in os.listdir(top)]
print("VISIBLE " + json.dumps(visible))
"""
    code = "import os, sys\ndef add_one(x):\n" + textwrap.indent(body, "    ") + "\n    return x + 1\n"
    reply = worker.request(GradeRequest(snippet=TARGET.to_request(), code=code, diagnose=False, prefetch=False,
                                        timeout=60.0, import_allowance=120.0), timeout=600)
    text = output(reply)
    inside = json.loads(text.split("IMPORTS ", 1)[1].splitlines()[0])
    assert {k: v is True for k, v in inside.items()} == {k: v is True for k, v in expected.items()}, inside
    for path in json.loads(text.split("VISIBLE ", 1)[1].splitlines()[0]):
        real = os.path.realpath(path)
        assert any(real == b or real.startswith(b + "/") or b.startswith(real + "/") for b in bound), path
    assert reply.status == "pass"
    still_fine(worker)


def test_the_reference_cannot_be_read_or_called(worker):
    path = bundled_snippets_dir() / "add_one.md"  # does not exist, but its folder and siblings do
    body = f"""
import glob
found = glob.glob({str(path.parent)!r} + "/*.md")
print("FOUND", len(found))
try:
    import flashtrain.snippets.worker.children as c
    print("IMPORTED")
except Exception as error:
    print("no import", type(error).__name__)
"""
    result = attack(worker, body, result="x + 2")
    assert "FOUND 0" in output(result) and result.status == "fail"


SECRET_SUFFIX = "q8w7e6r5"  # appears only in the reference below, never in the answer
MARKED = parse_snippet(TARGET_TEXT.replace("    return x + 1\n```",
                                           f"    return x + 1  # REF-MARK:{SECRET_SUFFIX}\n```", 1))
FIND_REFERENCE = """
import gc, hashlib, mmap, sys
WANTED = {wanted!r}  # sha256 of what follows the marker: the answer never holds the reference's text
def holds_reference(data):
    at = data.find(b"REF-MARK:")
    while at >= 0:
        if hashlib.sha256(bytes(data[at + 9:at + 17])).hexdigest() == WANTED:
            return True
        at = data.find(b"REF-MARK:", at + 1)
    return False
hits = set()
main = sys.modules.get("__main__")
for spec in getattr(main, "SNIPPETS", {{}}).values():
    if holds_reference(str(getattr(spec, "reference", "")).encode()):
        hits.add("worker's snippet store")
for o in gc.get_objects():
    try:
        values = list(o.values()) if isinstance(o, dict) else list(o) if isinstance(o, (list, tuple)) else \
            list(vars(o).values()) if hasattr(o, "__dict__") and not isinstance(o, type) else []
        if isinstance(o, mmap.mmap):
            values = [o[:]]
        for v in values:
            if isinstance(v, (str, bytes)) and holds_reference(v.encode() if isinstance(v, str) else v):
                hits.add("object " + type(o).__name__)
    except Exception:
        pass
libc = ctypes.CDLL(None, use_errno=True)
r, w = os.pipe()
for block in sorted({{id(o) >> 20 for o in gc.get_objects()}}):  # raw memory near every object:
    for offset in range(0, 1 << 20, 1 << 16):                   # read through a pipe (EFAULT, not a
        n = libc.write(w, ctypes.c_void_p((block << 20) + offset), 1 << 16)  # crash, where unmapped)
        if n > 0 and holds_reference(os.read(r, n)):
            hits.add("raw memory")
print("HITS", sorted(hits))
"""


def test_the_reference_is_nowhere_in_the_memory_an_answer_starts_with(worker):
    """Children are forked from the worker: a reference the worker held as an object (its snippet
    store, a cache, a request) could be found and called instead of solving the exercise."""
    import hashlib

    assert SECRET_SUFFIX in MARKED.reference
    body = FIND_REFERENCE.format(wanted=hashlib.sha256(SECRET_SUFFIX.encode()).hexdigest())
    grade(MARKED, CORRECT, runner=worker, diagnose=False)  # the worker now holds this snippet
    grade(MARKED, CORRECT, runner=worker, diagnose=False)  # and has prefetched its next attempt
    result = grade(
        MARKED, "import os, sys, ctypes\ndef add_one(x):\n" + textwrap.indent(body, "    ") + "\n    return x + 1\n",
        runner=worker, diagnose=False)
    assert "HITS []" in output(result), output(result)
    assert result.status == "pass"
    still_fine(worker)


def test_planted_links_and_fifos_are_never_opened(worker, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    body = f"""
for name in ["learner.bin", "result.bin", "out", "warm.bin"]:
    try:
        os.symlink({str(victim)!r}, name)
    except OSError:
        pass
    try:
        os.mkfifo(name + ".fifo")
    except OSError:
        pass
print("PLANTED", sorted(os.listdir(".")))
"""
    result = attack(worker, body)
    assert result.status == "pass"
    assert victim.read_text() == "untouched"
    still_fine(worker)


@pytest.fixture()
def bystander():
    proc = subprocess.Popen(["sleep", "600"])
    yield proc
    proc.kill()
    proc.wait()


def test_no_signal_reaches_another_process(worker, bystander):
    starts, pid = worker.starts, worker.pid
    body = f"""
libc = ctypes.CDLL(None, use_errno=True)
for target in [1, os.getppid(), {bystander.pid}, {worker.pid}, {os.getpid()}]:
    print("kill", target, libc.syscall(62, target, 9), ctypes.get_errno())      # kill
    print("tgkill", target, libc.syscall(234, target, target, 9), ctypes.get_errno())
    print("tkill", target, libc.syscall(200, target, 9), ctypes.get_errno())
    print("sigqueue", target, libc.syscall(129, target, 9, None), ctypes.get_errno())
    print("pidfd", target, libc.syscall(434, target, 0), ctypes.get_errno())
libc.syscall(62, -1, 9)  # every process it may signal
"""
    attack(worker, body)
    assert bystander.poll() is None, "an unrelated process was killed"
    assert worker.pid == pid and worker.starts == starts, "the worker was killed"
    still_fine(worker)


def test_no_limit_priority_or_cpu_change_reaches_another_process(worker, bystander):
    """Every process of the sandbox runs as one uid, and the kernel lets a process change a
    same-uid process's resource limits: prlimit on the worker (PID 1 of the namespace) used to cut
    it to three open files, after which no check could run."""
    starts, pid = worker.starts, worker.pid
    body = f"""
import resource
for target in list(range(1, 30)) + [{bystander.pid}, {worker.pid}, {os.getpid()}]:
    if target == os.getpid():
        continue
    for name, change in [
            ("PRLIMIT", lambda: resource.prlimit(target, resource.RLIMIT_NOFILE, (3, 3))),
            ("NICE", lambda: os.setpriority(os.PRIO_PROCESS, target, 19)),
            ("AFFINITY", lambda: os.sched_setaffinity(target, {{0}})),
            ("SCHEDULER", lambda: os.sched_setscheduler(target, os.SCHED_IDLE, os.sched_param(0)))]:
        try:
            change()
            print("CHANGED", name, target)
        except OSError:
            pass
try:
    os.setpriority(os.PRIO_USER, 0, 19)  # every process of its uid
    print("CHANGED", "NICE-USER")
except OSError:
    pass
resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))  # its own limits stay its own to lower
os.sched_setaffinity(0, os.sched_getaffinity(0))
"""
    result = attack(worker, body)
    assert "CHANGED" not in output(result), output(result)
    assert result.status == "pass", output(result)
    assert worker.pid == pid and worker.starts == starts, "the worker was restarted"
    still_fine(worker)


def test_a_child_that_leaves_its_process_group_is_still_stopped_at_its_deadline(worker):
    """The worker stops a check by killing the child's process group; a child that joined another
    group (a sibling's) used to survive that, and the worker waited for it as long as it slept."""
    starts, pid = worker.starts, worker.pid
    body = """
import time
for pid in list(range(2, 60)) + [0]:
    try:
        os.setpgid(0, pid) if pid else os.setsid()
        print("MOVED", pid)
    except OSError:
        pass
time.sleep(100000)
"""
    result = attack(worker, body, timeout=1.0)
    assert result.status == "error" and "timed out" in result.checks[0].message, result.to_dict()
    assert "MOVED" not in output(result)
    assert worker.pid == pid and worker.starts == starts, "the worker had to be restarted"
    still_fine(worker)


I386_SYSCALL = bytes([  # push rbx; mov eax, NR; mov ebx, edi; mov ecx, esi; int 0x80;
    0x53, 0xB8, 0, 0, 0, 0, 0x89, 0xFB, 0x89, 0xF1, 0xCD, 0x80,
    0x85, 0xC0, 0x75, 0x07, 0xB8, 0xFC, 0, 0, 0, 0xCD, 0x80,  # if it returned 0: exit_group (a forked copy)
    0x5B, 0xC3])  # pop rbx; ret


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the 32-bit syscall ABI (int 0x80) exists on x86_64")
def test_syscalls_of_the_32_bit_abi_are_refused(worker):
    """seccomp numbers syscalls per ABI: a filter that lets another ABI through unchecked is no
    filter (i386 fork is 2, not 57). Code can run machine code through ctypes."""
    body = f"""
import mmap
def i386(nr, a=0, b=0):
    page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write({I386_SYSCALL!r})
    page[2:6] = nr.to_bytes(4, "little")
    call = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    return call(a, b)
print("GETPID", i386(20))
print("FORK", i386(2))
print("KILL", i386(37, 1, 9))
"""
    result = attack(worker, body)
    text = output(result)
    # -1 is EPERM from the filter; a kernel without the 32-bit ABI kills the child instead (no line)
    done = [line for line in text.splitlines() if line.startswith(("GETPID", "FORK", "KILL"))]
    assert all(line.endswith(" -1") for line in done), text
    assert done or result.checks[0].status == "error", text
    still_fine(worker)


def test_no_process_memory_can_be_read(worker):
    body = """
libc = ctypes.CDLL(None, use_errno=True)
class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local, remote = IoVec(ctypes.addressof(buf), 64), IoVec(0x400000, 64)
for pid in range(1, 40):
    if pid == os.getpid():
        continue
    n = libc.syscall(310, pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if n > 0:
        print("READMEM", pid)
    if libc.syscall(101, 16, pid, 0, 0) == 0:  # PTRACE_ATTACH
        print("TRACED", pid)
    try:
        open(f"/proc/{pid}/mem", "rb").read(1)
        print("PROCMEM", pid)
    except Exception:
        pass
"""
    result = attack(worker, body)
    text = output(result)
    assert "READMEM" not in text and "TRACED" not in text and "PROCMEM" not in text
    still_fine(worker)


@pytest.mark.parametrize("body, words", [
    ("while True:\n    pass", ("timed out", "CPU")),
    ("import time\ntime.sleep(600)", ("timed out",)),
    ("big = np.ones(1 << 29)", ("MemoryError", "memory")),
    ("sys.exit(0)", ("sys.exit",)),
    ("os._exit(0)", ("exited",)),
])
def test_classic_runaways_are_stopped(worker, body, words):
    result = attack(worker, body, timeout=1.0)
    assert result.status == "error"
    text = " ".join(c.message for c in result.checks)
    assert any(w in text for w in words), text
    still_fine(worker)


def test_a_fork_bomb_cannot_fork(worker):
    result = attack(worker, """
for _ in range(100):
    try:
        os.fork()
    except OSError as error:
        print("NOFORK", error.errno)
        break
""")
    assert "NOFORK" in output(result) and result.status == "pass"
    still_fine(worker)


def test_an_output_flood_is_cut(worker):
    result = attack(worker, "while True:\n    sys.stdout.write('y' * 65536)")
    assert result.status == "error" and "output" in result.checks[0].message
    still_fine(worker)


def test_no_connection_to_a_local_listener(worker):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        result = attack(worker, f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"leak")
    print("CONNECTED")
except OSError as error:
    print("refused", error.errno)
""")
        assert "CONNECTED" not in output(result)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    still_fine(worker)


def test_a_thread_cannot_outlive_its_check(worker):
    result = attack(worker, """
import threading, time
def later():
    time.sleep(0.5)
    open("marker", "w").write("x")
try:
    threading.Thread(target=later, daemon=True).start()
    print("STARTED")
except RuntimeError as error:
    print("NOTHREAD", error)
""")
    assert result.status == "pass"
    assert "LEFT []" in output(attack(worker, "import time\ntime.sleep(1)\nprint('LEFT', sorted(os.listdir('.')))"))
    still_fine(worker)


def test_descriptor_exhaustion_is_contained(worker):
    result = attack(worker, """
held = []
try:
    while True:
        held.append(os.pipe())
except OSError as error:
    print("EXHAUSTED", len(held), error.errno)
""")
    assert "EXHAUSTED" in output(result) and result.status == "pass"
    still_fine(worker)


def test_monkeypatching_numpy_fools_nothing(worker):
    body = """
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda *a, **k: np.True_
np.testing.assert_allclose = lambda *a, **k: None
"""
    result = attack(worker, body, result="x + 2")
    assert result.status == "fail"
    still_fine(worker)


def test_an_object_equal_to_everything_fails(worker):
    code = ("class Liar:\n    def __eq__(self, other):\n        return True\n    __array_priority__ = 1000\n"
            "def add_one(x):\n    return Liar()\n")
    result = grade(TARGET, code, runner=worker, diagnose=False)
    assert result.status == "fail" and "Liar" in result.checks[0].message
    still_fine(worker)


def test_frames_and_gc_hold_no_expected_values(worker):
    body = """
import gc
best = None
for obj in gc.get_objects():
    if isinstance(obj, dict):
        for v in list(obj.values()):
            if isinstance(v, np.ndarray) and v.shape == x.shape and not np.array_equal(v, x):
                best = v
frame = sys._getframe()
while frame is not None:
    for v in frame.f_locals.values():
        if isinstance(v, np.ndarray) and v.shape == x.shape and np.allclose(v, x + 1):
            print("FOUND EXPECTED")
    frame = frame.f_back
"""
    result = attack(worker, body, result="x + 2")
    assert "FOUND EXPECTED" not in output(result) and result.status == "fail"
    still_fine(worker)


def test_stopping_the_app_stops_the_worker_and_its_children(tmp_path):
    """The app killed outright (SIGKILL: no cleanup runs) while a check is running."""
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path[:0] = {[os.path.dirname(os.path.dirname(os.path.abspath(flashtrain.__file__)))]!r}
        from flashtrain.snippets.runner import Runner
        from flashtrain.snippets.grading import grade
        from flashtrain.snippets.format import parse_snippet
        snippet = parse_snippet({TARGET_TEXT!r})
        runner = Runner()
        runner.start()
        print(runner.pid, flush=True)
        grade(snippet, "import time\\ndef add_one(x):\\n    time.sleep(600)\\n", runner=runner)
    """))
    app = subprocess.Popen([os.sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    session = int(app.stdout.readline())  # the worker leads its own session; its children stay in it
    while len(_in_session(session)) < 3:  # supervisor, worker, and the child running the check
        subprocess.run(["sleep", "0.1"])
    app.send_signal(signal.SIGKILL)
    app.wait()
    for _ in range(600):  # the worker notices at once; allow a minute on a loaded machine
        if not _in_session(session):
            break
        subprocess.run(["sleep", "0.1"])
    assert _in_session(session) == [], "the worker or a child outlived the app"


def _in_session(session: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(name))
    return found




UNLISTED = """
import errno
for name, call in (("memfd", lambda: os.memfd_create("x")), ("fifo", lambda: os.mkfifo("f")),
                   ("raw", lambda: os.sched_setaffinity(0, os.sched_getaffinity(0)))):
    try:
        call()
        print("DONE", name)
    except OSError as error:
        print("refused", name, errno.errorcode.get(error.errno))
"""


def test_a_syscall_no_check_needs_is_unavailable(worker):
    """The seccomp allow-list: what is on neither list (memfd_create, mknodat for a FIFO) fails as
    unavailable (ENOSYS), while what checks use, and its self-only kin, still works."""
    result = attack(worker, UNLISTED)
    text = output(result)
    assert "refused memfd ENOSYS" in text and "refused fifo ENOSYS" in text, text
    assert "DONE raw" in text, text  # sched_setaffinity on itself: allowed
    assert result.status == "pass" and result.sandbox.seccomp_allowlist
    assert "seccomp-allowlist" in result.sandbox.held()
    result = attack(worker, "os.memfd_create('x')")
    assert result.status == "error" and "a system call the check sandbox does not offer" in result.checks[0].message
    still_fine(worker)


def test_the_fallback_layers_have_the_allow_list_too(fallback):
    result = attack(fallback, UNLISTED)
    assert "refused memfd ENOSYS" in output(result) and result.sandbox.seccomp_allowlist
    still_fine(fallback)

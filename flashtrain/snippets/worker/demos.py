"""Running a demonstration (protocol.DemoRequest): its program runs once in a sandboxed child
forked from the worker, the same sandbox as a learner's check; printed output is captured, each
`claim(...)` travels to the worker as its own frame when it is made.
"""

from __future__ import annotations

import builtins
import time

from flashtrain.snippets.protocol import Claim, DemoReply, DemoRequest
from flashtrain.snippets.worker import demo_helpers
from flashtrain.snippets.worker.child_process import Child, pump
from flashtrain.snippets.worker.children import describe_exception, send
from flashtrain.snippets.worker.sandbox import DEFAULT_MEMORY, layers_from

DEMO_FILE = "<demo>"
MAX_TIMEOUT = 60.0
OUTPUT_MAX = 16000  # characters of output kept (a few text plots)


def demo_child(code: str, width: int, features: dict) -> None:
    send({"started": True, "sandbox": features})
    demo_helpers.report = lambda entry: send({"claim": entry}, separate=False)
    namespace = demo_helpers.namespace(width)
    namespace["__builtins__"] = builtins
    try:
        exec(compile(code, DEMO_FILE, "exec"), namespace)
    except BaseException as error:  # noqa: BLE001 - whatever the program does, report it
        send({"error": describe_exception(error, DEMO_FILE)["message"]})
        return
    send({"done": True})


def run_demo(request: DemoRequest, tmp_root: str) -> DemoReply:
    started = time.perf_counter()
    timeout = max(0.1, min(float(request.timeout or 5.0), MAX_TIMEOUT))
    limits = {"timeout": timeout, "cpu": timeout, "memory": int(request.memory or DEFAULT_MEMORY)}
    code, width = request.code, int(request.width or 60)
    child = Child(lambda features: demo_child(code, width, features), limits, tmp_root, keep=OUTPUT_MAX)
    child.done_when = lambda c: any("done" in f["header"] or "error" in f["header"] for f in c.frames)
    pump([child])
    claims, output, error, sandbox = [], [], None, None
    for frame in child.frames:
        header = frame["header"]
        output.append(frame["output"])
        if "sandbox" in header:
            sandbox = layers_from(header["sandbox"])
        if "claim" in header:
            c = header["claim"]
            claims.append(Claim(str(c.get("text", "")), bool(c.get("holds")), str(c.get("detail", "")), c.get("line")))
        if "error" in header:
            error = header["error"]
    finished = not child.ended
    if finished:
        child.end(complete=True)
        status = "error" if error else "ok"
    else:
        output.append(child.tail_output[0])
        error = child.problem or "the program ended early"
        status = "timeout" if error.startswith("timed out") else "killed"
    text = "".join(output)
    truncated = any(f["output_truncated"] for f in child.frames) or len(text) > OUTPUT_MAX
    return DemoReply(status=status, output=text[:OUTPUT_MAX], output_truncated=truncated, claims=tuple(claims),
                     error=error, seconds=time.perf_counter() - started, sandbox=sandbox)

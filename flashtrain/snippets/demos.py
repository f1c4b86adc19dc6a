"""Running a demonstration's program from the app: one sandboxed run in the check worker (never in
the app's process), its output and its claims as a typed DemoRun.

    run = run_demo(program, timeout=5.0)     # DemoRun: status, output, claims (✓/✗), error, seconds
    run.all_hold                             # ran to the end and every claim held
"""

from __future__ import annotations

from flashtrain.snippets.protocol import Claim, DemoReply, DemoRequest
from flashtrain.snippets.runner import Runner, WorkerError, shared_runner

__all__ = ["Claim", "DemoRun", "run_demo"]

DemoRun = DemoReply


def run_demo(code: str, *, timeout: float = 5.0, width: int = 60, runner: Runner | None = None,
             id: str = "") -> DemoRun:  # noqa: A002 - the snippet id, as in the protocol
    try:
        reply = (runner or shared_runner()).request(DemoRequest(code=code, timeout=timeout, width=width, id=id),
                                                    timeout=timeout + 30.0)
    except WorkerError as error:
        return DemoRun(status="error", error=str(error))
    if not isinstance(reply, DemoReply):
        return DemoRun(status="error", error=getattr(reply, "error", "the worker gave no result"))
    return reply

"""`flashtrain check --doctor`: what this machine offers the code sandbox, and what held when a
sandboxed child tried what it must not do (one probe child of a freshly started check worker)."""

from __future__ import annotations

import argparse

from flashtrain.cli import common

LAYERS = (("userns", "user namespace (the worker is root only inside it)"),
          ("pidns", "PID namespace (no other process is visible; the app's exit ends them all)"),
          ("mountns", "own mount namespace per child"),
          ("tmpfs", "private tmpfs with a quota as the only writable place, fresh per check"),
          ("landlock", "Landlock (read only the bound paths, write only its folder, no TCP, no signals out)"),
          ("seccomp", "seccomp (no fork/exec/network/signals to others/tracing/mounts)"),
          ("seccomp_allowlist", "seccomp allow-list (any other syscall fails as unavailable)"),
          ("netns", "own network namespace (no network)"),
          ("unprivileged", "worker runs as an ordinary user"))


def doctor(args: argparse.Namespace) -> int:
    from flashtrain.snippets.protocol import ProbeReply, ProbeRequest
    from flashtrain.snippets.runner import Runner, WorkerError

    runner = Runner()
    try:
        reply = runner.request(ProbeRequest(), retry=False)
    except WorkerError as error:
        raise common.UserError(f"the check worker did not start: {error}") from error
    finally:
        runner.close()
    if not isinstance(reply, ProbeReply):
        raise common.UserError(f"the check worker could not probe: {getattr(reply, 'error', reply)}")
    layers = reply.layers
    ok = layers.seccomp and (layers.root != "none") and all(reply.blocked.values())
    if args.json:
        common.print_json({"ok": ok, "machine": reply.machine, "layers": layers.__dict__,
                           "blocked": reply.blocked, "problems": list(reply.problems)})
        return 0 if ok else 1
    print("This machine:")
    for key, value in reply.machine.items():
        print(f"  {key}: {value}")
    print(f"Filesystem view of a child: {_root_text(layers.root)}")
    print("Layers (✓ held in a probe child, ✗ not available here):")
    for name, text in LAYERS:
        print(f"  {'✓' if getattr(layers, name) else '✗'} {text}")
    print("A probe child tried:")
    for attempt, refused in reply.blocked.items():
        print(f"  {'✓ refused' if refused else '✗ ALLOWED'}: {attempt}")
    for problem in reply.problems:
        print(f"  note: {problem}")
    print("verdict: " + ("checks run isolated" if ok else "isolation is INCOMPLETE on this machine (see above)"))
    return 0 if ok else 1


def _root_text(root: str) -> str:
    return {"private": "a private read-only root (stdlib, numpy, shared libraries only)",
            "landlock": "the host's tree, restricted by Landlock to the stdlib, numpy and libraries",
            "none": "the host's tree, NOT restricted (no namespaces, no Landlock)"}.get(root, root)

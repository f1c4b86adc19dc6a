"""The check worker's side of code-backed cards: a separate process (started by ../runner.py as
`python -I worker/main.py`, never imported by the app) that forks sandboxed children to run snippet
and learner code. It speaks to the app only through ../protocol.py. See main.py for the map."""

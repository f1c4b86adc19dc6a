"""Sizes on the bench command line: `--cards 100k`, `--cards 1M`, `--reviews 9.6M` or plain numbers."""

from __future__ import annotations

import argparse

_SUFFIXES = {"k": 1_000, "m": 1_000_000}


def count(text: str) -> int:
    """A whole number, optionally with k (thousand) or M (million): 10k, 100k, 1M, 9.6M."""
    value = text.strip().replace("_", "").replace(",", "")
    scale = _SUFFIXES.get(value[-1:].lower(), 1)
    if scale != 1:
        value = value[:-1]
    try:
        number = float(value) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count (e.g. 10000, 100k, 1M)") from None
    if number < 1 or number != int(number):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole count of at least 1")
    return int(number)

"""`flashtrain bench ...`: benchmark commands that print the figures the issues ask for."""

from __future__ import annotations

import argparse

from flashtrain.cli import common

BENCH_MODULES = ("flashtrain.bench.import_bench", "flashtrain.bench.scheduler_bench",
                 "flashtrain.bench.checks_bench", "flashtrain.bench.diagnosis_bench",
                 "flashtrain.bench.tui_bench", "flashtrain.bench.study_bench", "flashtrain.bench.recompute_bench",
                 "flashtrain.bench.store_bench")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bench", help="run a benchmark and print its figures")
    bench_sub = parser.add_subparsers(dest="bench", metavar="BENCH", required=True, parser_class=type(parser))
    for name in BENCH_MODULES:
        module = common.optional_module(name)
        if module is not None:
            module.register(bench_sub)

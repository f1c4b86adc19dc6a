"""Benchmarks behind `flashtrain bench ...`; each module registers one subcommand."""

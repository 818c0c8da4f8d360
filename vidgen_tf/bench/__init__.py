"""Benchmarks: registered measurements whose results are committed in ``benchmarks/``.

A benchmark is a function registered with ``@benchmark(name, description)``. It takes
``quick`` (a much smaller run, for tests) and returns a dict:

- ``metrics``: ``{name: number}`` shown in the results table (throughputs, scores, times);
- ``details`` (optional): a Markdown block (a table of scores, a note) shown under it.

``python -m vidgen_tf.bench [names] [--quick] [--out benchmarks]`` runs each selected benchmark
in a fresh process (so that its peak memory is its own), records wall time and peak memory,
merges the entries into ``benchmarks/results.json`` (benchmarks not re-run keep their last
results) and rewrites ``benchmarks/results.md``. A benchmark reports; it never fails a test for
being slow.

Later lessons register their models here (one module per subject, imported below).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from vidgen_tf.registry import Registry

@dataclasses.dataclass(frozen=True)
class Benchmark:
    name: str
    description: str
    run: Callable


def _import_modules():
    from vidgen_tf.bench import data_generation, evaluation, models  # noqa: F401


# a name registered twice is an error; the modules are imported at the first lookup
BENCHMARKS = Registry("benchmark", load=_import_modules)


def benchmark(name: str, description: str):
    """Register ``run(quick: bool) -> dict`` as benchmark ``name``."""

    def register(run):
        BENCHMARKS.register(name, Benchmark(name, description, run))
        return run

    return register


def load_all():
    """Import every module that registers benchmarks; return the registry."""
    return BENCHMARKS.load()

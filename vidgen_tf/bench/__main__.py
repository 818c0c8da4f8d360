"""Run benchmarks and write ``benchmarks/results.md`` and ``benchmarks/results.json``.

    python -m vidgen_tf.bench                   # every registered benchmark
    python -m vidgen_tf.bench data_generation   # some of them
    python -m vidgen_tf.bench --quick --out /tmp/bench   # a small run (tests)
    python -m vidgen_tf.bench --list
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

from vidgen_tf.bench import load_all

RESULT_MARK = "BENCH_RESULT "


def machine():
    """What the results were measured on."""
    import keras
    import tensorflow as tf

    from vidgen_tf.config import detect_device

    from vidgen_tf.bench.flops import cpu_model

    return {"cores": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "device": detect_device(), "platform": platform.platform()}


def run_one(name, quick):
    """Run one benchmark in this process and print its result on one line (child side)."""
    import resource

    from vidgen_tf.bench.flops import cpu_model

    result = load_all()[name].run(quick=quick)
    result["cpu"] = cpu_model()
    # ru_maxrss is in KiB on Linux: this process's peak, TensorFlow's own footprint included.
    result["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                      1)
    print(RESULT_MARK + json.dumps(result), flush=True)


def run_isolated(name, quick):
    """Run one benchmark in a fresh process; add its wall time to its result."""
    command = [sys.executable, "-m", "vidgen_tf.bench", "--child", name]
    if quick:
        command.append("--quick")
    start = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise RuntimeError(f"benchmark {name} failed with exit code {process.returncode}")
    line = next(ln for ln in reversed(process.stdout.splitlines()) if ln.startswith(RESULT_MARK))
    result = json.loads(line[len(RESULT_MARK):])
    result.update(wall_seconds=round(seconds, 1), quick=quick,
                  measured=datetime.date.today().isoformat())
    return result


def write_markdown(results, path):
    info = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m vidgen_tf.bench`); each benchmark runs in its own "
        "process. Re-run a benchmark when you change what it measures, and commit this file. "
        "Machines of this kind differ a lot in speed (each entry names the CPU it ran on, and "
        "the model entries the matmul peak measured in the same run): compare times on one "
        "machine only.",
        "",
        f"Machine of the last run: {info.get('cpu', 'CPU')}, {info['cores']} cores, device "
        f"{info['device']}, TensorFlow "
        f"{info['tensorflow']}, Keras {info['keras']}, Python {info['python']} "
        f"({info['platform']}).",
        "",
    ]
    for name, entry in sorted(results["benchmarks"].items()):
        lines += [f"## {name}", "", entry.get("description", ""), ""]
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in entry["metrics"].items()]
        lines += [f"| wall time (s) | {entry['wall_seconds']} |",
                  f"| peak memory (MiB) | {entry.get('peak_memory_mib', 'n/a')} |", ""]
        if entry.get("details"):
            lines += [entry["details"].rstrip(), ""]
        where = f" on {entry['cpu']}" if entry.get("cpu") else ""
        lines += [f"Measured {entry['measured']}{where}" + (" (quick run)" if entry["quick"]
                                                             else "") + ".", ""]
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidgen_tf.bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small runs, for tests")
    parser.add_argument("--out", default="benchmarks", help="folder of results.md/.json")
    parser.add_argument("--list", action="store_true", help="list the benchmarks")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    registry = load_all()
    if args.child:
        run_one(args.child, args.quick)
        return 0
    if args.list:
        for name, bench in sorted(registry.items()):
            print(f"{name}: {bench.description}")
        return 0
    unknown = [n for n in args.names if n not in registry]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {sorted(registry)}")
    names = args.names or sorted(registry)
    os.makedirs(args.out, exist_ok=True)
    json_path = os.path.join(args.out, "results.json")
    results = {"benchmarks": {}}
    if os.path.exists(json_path):
        with open(json_path) as f:
            results = json.load(f)
    results["machine"] = machine()
    for name in names:
        print(f"running {name} ...", flush=True)
        entry = run_isolated(name, args.quick)
        entry["description"] = registry[name].description
        results["benchmarks"][name] = entry
        print(f"{name}: {entry['metrics']} in {entry['wall_seconds']} s", flush=True)
    # benchmarks by name; each entry's metrics in the order its benchmark gave them (the
    # order results.md shows them in), not sorted
    results["benchmarks"] = dict(sorted(results["benchmarks"].items()))
    with open(json_path, "w") as f:
        json.dump(results, f, indent=2)
    write_markdown(results, os.path.join(args.out, "results.md"))
    print(f"wrote {json_path} and {os.path.join(args.out, 'results.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

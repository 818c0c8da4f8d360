"""Run the lessons the way Colab does: from a wheel of this checkout, outside the repository.

    python -m tests.run_notebooks [NOTEBOOK ...] [--keep]

``make test-notebooks`` calls it. It builds the wheel (``pip wheel --no-deps``, no build
isolation: no network), installs it with ``pip install --no-deps --target`` into a throwaway
folder, copies the notebooks into another, and runs them there with nbval at the smoke profile,
with that folder first on ``PYTHONPATH`` and ``VIDGEN_RUNS`` in the throwaway folder. The
checkout is not on the path, so anything the lessons need that is not in the wheel (weights,
fonts) fails here as it would on Colab, where ``pip install "vidgen_tf @ git+URL"`` builds the
same wheel. Everything is removed afterwards (``--keep`` keeps it and prints where).

Exit status: nbval's (0 when every cell passed); 2 when the wheel cannot be built or the
installed package is not the one imported.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NBVAL = ["-p", "no:cacheprovider", "--nbval-lax", "--nbval-current-env",
         "--nbval-cell-timeout=600",
         # a notebook per process, one process per core up to 4 (as the unit tests)
         "-n", "auto", "--maxprocesses", "4", "--dist", "loadfile"]


def build_and_install(work: str) -> tuple[str, str]:
    """Build the wheel of the checkout and install it into ``work/site``; return
    ``(wheel path, site folder)``."""
    dist, site = os.path.join(work, "dist"), os.path.join(work, "site")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # the build writes build/ and *.egg-info into the source tree: build from a copy of it
    source = os.path.join(work, "source")
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "*.egg-info", "__pycache__", "notebooks", "lessons",
        "runs", "cache", "tests", "benchmarks"))
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", dist,
                          source], check=True)
    wheel = glob.glob(os.path.join(dist, "vidgen_tf-*.whl"))[0]
    subprocess.run(pip + ["install", "--no-deps", "--target", site, wheel], check=True)
    return wheel, site


def check_import(site: str, env: dict, cwd: str) -> str:
    """The folder ``vidgen_tf`` and its evaluator weights are imported from, checked to be
    the install in ``site``."""
    probe = ("import vidgen_tf; from vidgen_tf.metrics.evaluator_store import evaluator_dir; "
             "print(vidgen_tf.__file__); print(evaluator_dir())")
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=cwd,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    for path in out[:2]:
        if not os.path.realpath(path).startswith(os.path.realpath(site)):
            raise RuntimeError(f"vidgen_tf came from {path}, not from the wheel in {site}")
    return os.path.dirname(out[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.run_notebooks")
    parser.add_argument("notebooks", nargs="*", help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway folders")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(glob.glob(os.path.join(REPO, "notebooks",
                                                                "[0-9][0-9]_*.ipynb")))
    work = tempfile.mkdtemp(prefix="vidgen_as_installed.")
    try:
        start = time.perf_counter()
        try:
            wheel, site = build_and_install(work)
        except subprocess.CalledProcessError as error:
            print(f"error: building or installing the wheel failed: {error}", file=sys.stderr)
            return 2
        course, runs = os.path.join(work, "course"), os.path.join(work, "runs")
        os.makedirs(course)
        for path in notebooks:
            shutil.copy(path, course)
        env = dict(os.environ, PYTHONPATH=site, VIDGEN_RUNS=runs, VIDGEN_PROFILE="smoke")
        try:
            package = check_import(site, env, course)
        except (RuntimeError, subprocess.CalledProcessError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        with zipfile.ZipFile(wheel) as archive:
            weights = [n for n in archive.namelist()
                       if n.startswith("vidgen_tf/weights/") and n.count("/") >= 3]
        print(f"{os.path.basename(wheel)}: {os.path.getsize(wheel) / 1e6:.1f} MB, "
              f"{len(weights)} weight files; built and installed in "
              f"{time.perf_counter() - start:.0f} s; lessons run from {course} with "
              f"{package}", flush=True)
        return subprocess.run([sys.executable, "-m", "pytest", "-q"] + NBVAL
                              + sorted(os.listdir(course)), cwd=course, env=env).returncode
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

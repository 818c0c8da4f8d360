"""Executing notebooks in place at a profile (how the committed outputs are made).

``python -m vidgen_tf.course execute notebooks/00_video_as_data.ipynb --profile cpu`` runs
the notebook top to bottom with nbclient in its own folder, writes the outputs into it, and
reports the wall time (the syllabus quotes these times).

Introduced in lesson 00 (instructor guide: ``lessons/README.md``).
"""

from __future__ import annotations

import os
import re
import time

import nbformat

# TensorFlow's C++ start-up chatter on machines without a GPU: written to the process's stderr
# before Python can configure logging, so TF_CPP_MIN_LOG_LEVEL does not silence it.
STARTUP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]0000 \S+\s+\d+ (cudart_stub|cuda_platform|cuda_executor|cpu_feature_guard)"
    r"\.cc:\d+\].*"
    r"|To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler "
    r"flags\.)$")


def drop_startup_noise(notebook):
    """Remove TensorFlow's start-up log lines from the stderr outputs of a notebook."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                lines = [ln for ln in output.text.splitlines() if not STARTUP_NOISE.match(ln)]
                if not any(ln.strip() for ln in lines):
                    continue
                output.text = "\n".join(lines) + "\n"
            kept.append(output)
        cell.outputs = kept


def execute_notebook(path, profile="cpu", timeout=3600, kernel_name="python3"):
    """Run a notebook in place at a profile and save it with its outputs.

    TensorFlow's start-up log lines (no GPU found, CPU features) are dropped from the saved
    outputs; everything else the notebook prints is kept.

    Args:
        path: str. The notebook.
        profile: str. Sets ``VIDGEN_PROFILE`` for the kernel.
        timeout: int. Seconds a cell may run.
        kernel_name: str. The Jupyter kernel.

    Returns:
        float: wall time in seconds.
    """
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    previous = os.environ.get("VIDGEN_PROFILE")
    os.environ["VIDGEN_PROFILE"] = profile
    start = time.perf_counter()
    try:
        client = NotebookClient(notebook, timeout=timeout, kernel_name=kernel_name,
                                resources={"metadata": {"path": os.path.dirname(
                                    os.path.abspath(path))}})
        client.execute()
    finally:
        if previous is None:
            os.environ.pop("VIDGEN_PROFILE", None)
        else:
            os.environ["VIDGEN_PROFILE"] = previous
    elapsed = time.perf_counter() - start
    drop_startup_noise(notebook)
    notebook.metadata.setdefault("vidgen_tf", {})["executed"] = {
        "profile": profile, "seconds": round(elapsed, 1)}
    nbformat.write(notebook, path)
    return elapsed

"""Executing notebooks in place at a profile (how the committed outputs are made).

``python -m vidgen_tf.course execute notebooks/00_video_as_data.ipynb --profile cpu`` runs
the notebook top to bottom with nbclient in its own folder, writes the outputs into it, and
reports the wall time (the syllabus quotes these times).

Introduced in lesson 00 (instructor guide: ``lessons/README.md``).
"""

from __future__ import annotations

import os
import time

import nbformat


def execute_notebook(path, profile="cpu", timeout=3600, kernel_name="python3"):
    """Run a notebook in place at a profile and save it with its outputs.

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
    notebook.metadata.setdefault("vidgen_tf", {})["executed"] = {
        "profile": profile, "seconds": round(elapsed, 1)}
    nbformat.write(notebook, path)
    return elapsed

"""The committed notebooks: executed at the cpu profile, exercises registered, media small."""

import base64
import os
import re

import nbformat
import pytest

from tests.conftest import REPO
from vidgen_tf.course import EXERCISES, check_exercise  # noqa: F401
from vidgen_tf.course import exercises  # noqa: F401  (registers every lesson's exercises)
from vidgen_tf.course.grade import check_cells
from vidgen_tf.course.release import lesson_files

NOTEBOOKS = os.path.join(REPO, "notebooks")
NAMES = lesson_files(NOTEBOOKS)


@pytest.fixture(scope="module", params=NAMES)
def notebook(request):
    return request.param, nbformat.read(os.path.join(NOTEBOOKS, request.param), as_version=4)


def test_there_is_a_first_lesson():
    assert "00_video_as_data.ipynb" in NAMES


def test_committed_executed_at_the_cpu_profile(notebook):
    name, nb = notebook
    assert nb.metadata["vidgen_tf"]["executed"]["profile"] == "cpu", name
    assert nb.metadata["vidgen_tf"]["lesson"] == name[:-len(".ipynb")]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code[1:]), "re-execute the notebook"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{name} was committed with an error: {errors[0]['ename']}"


def test_exercises_are_checked_and_registered(notebook):
    name, nb = notebook
    checks = check_cells(nb)
    lesson = int(name[:2])
    assert len(checks) >= 3, f"{name} has {len(checks)} exercises"
    for exercise_id, cell in checks.items():
        assert exercise_id in EXERCISES and EXERCISES[exercise_id].lesson == lesson
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert text.startswith(f"Exercise {exercise_id} passed:"), (name, exercise_id)
    solutions = sum(c.source.count("# BEGIN SOLUTION") for c in nb.cells)
    assert solutions >= len(checks)


def test_notebook_files_stay_small(notebook):
    """The file (test_notebook_media keeps its embedded media within a budget), and each GIF:
    a 4x4 grid of 32x32 clips at 128 px per clip is about 125 KB."""
    name, nb = notebook
    size = os.path.getsize(os.path.join(NOTEBOOKS, name))
    assert size < 1_200_000, f"{name} is {size / 1e3:.0f} KB"     # lesson 01: 1137 KB
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            for gif in re.findall(r"data:image/gif;base64,([A-Za-z0-9+/=]+)", html):
                assert len(base64.b64decode(gif)) < 250_000, (name, index)

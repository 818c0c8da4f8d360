import os

import nbformat
import pytest

from tests.conftest import REPO
from vidgen_tf.course.release import (ReleaseError, out_of_date, release, strip_solutions,
                                      student_edition)

NOTEBOOKS, LESSONS = os.path.join(REPO, "notebooks"), os.path.join(REPO, "lessons")

SOURCE = """import numpy as np

def f(x):
    \"\"\"Doc.\"\"\"
    # BEGIN SOLUTION
    y = x + 1
    return y
    # END SOLUTION

class A:
    def g(self):
        # BEGIN SOLUTION
        return 2
        # END SOLUTION
    def h(self):
        return 3"""


def test_solutions_become_indented_stubs():
    out = strip_solutions(SOURCE)
    assert "x + 1" not in out and "return 2" not in out and "BEGIN SOLUTION" not in out
    assert '    # YOUR CODE HERE\n    raise NotImplementedError(' in out
    assert '        # YOUR CODE HERE\n        raise NotImplementedError(' in out
    assert out.endswith("    def h(self):\n        return 3")
    namespace = {}
    exec(out, namespace)                        # the student edition still runs
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


@pytest.mark.parametrize("source, message", [
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n# END SOLUTION", "without # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "nested"),
])
def test_malformed_markers_are_errors(source, message):
    with pytest.raises(ReleaseError, match=message):
        strip_solutions(source, where="nb.ipynb, code cell 3")


def _notebook():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION")
    cell.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    cell.execution_count = 4
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell]
    nb.metadata["vidgen_tf"] = {"lesson": "07_x", "executed": {"profile": "cpu"}}
    return nb


def test_student_edition_clears_outputs_and_marks_itself():
    student = student_edition(_notebook())
    code = student.cells[1]
    assert code.outputs == [] and code.execution_count is None
    assert "return 1" not in code.source
    assert student.metadata["vidgen_tf"] == {"lesson": "07_x", "edition": "student"}


def test_release_writes_and_detects_stale_editions(tmp_path):
    notebooks, lessons = tmp_path / "notebooks", tmp_path / "lessons"
    notebooks.mkdir()
    nbformat.write(_notebook(), notebooks / "07_x.ipynb")
    nbformat.write(_notebook(), notebooks / "scratch.ipynb")     # not a lesson: not released
    assert out_of_date(notebooks, lessons) == ["07_x.ipynb"]
    release(notebooks, lessons)
    assert sorted(os.listdir(lessons)) == ["07_x.ipynb"]
    assert out_of_date(notebooks, lessons) == []
    changed = _notebook()
    changed.cells[0].source = "# T, revised"
    nbformat.write(changed, notebooks / "07_x.ipynb")
    assert out_of_date(notebooks, lessons) == ["07_x.ipynb"]
    nbformat.write(_notebook(), lessons / "08_gone.ipynb")           # a deleted lesson
    release(notebooks, lessons)
    assert sorted(os.listdir(lessons)) == ["07_x.ipynb"]


def test_the_repository_student_edition_is_up_to_date():
    stale = out_of_date(NOTEBOOKS, LESSONS)
    assert stale == [], f"run `python -m vidgen_tf.course release`: {stale} out of date"

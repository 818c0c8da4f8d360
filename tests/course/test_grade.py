"""Grading the lessons' exercises: the reader's and student editions of every lesson, and
planted failures (an infinite loop, a kernel crash, forged outputs, a file that is not JSON,
answers that use the reference); the command line's exit codes for the instructor's mistakes.

Each submission is a lesson cut to what its exercises need (``exercise_cells``): the imports,
the exercise cells and their check cells, as the student wrote or left them. The grader runs
it exactly as it runs a whole lesson, in a fraction of the time; every whole lesson runs, with
its check cells compared, in ``make test-notebooks``.
"""

import copy
import csv
import os
import subprocess
import sys

import nbformat
import pytest

from tests.conftest import REPO
from vidgen_tf.course.grade import check_cells, grade
from vidgen_tf.course.release import lesson_files

NOTEBOOKS, LESSONS = os.path.join(REPO, "notebooks"), os.path.join(REPO, "lessons")
LESSON = "00_video_as_data.ipynb"
CELL_TIMEOUT = 25

pytestmark = pytest.mark.slow


def exercise_cells(notebook):
    """The notebook cut to its set-up and imports cells (the code cells before the first
    that imports ``vidgen_tf``, and that one), its exercises and their check cells."""
    notebook = copy.deepcopy(notebook)
    checks = {id(cell) for cell in check_cells(notebook).values()}
    code = [c for c in notebook.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(code) if "import vidgen_tf" in c.source)
    notebook.cells = code[:first + 1] + [
        c for c in code[first + 1:] if id(c) in checks or "# BEGIN SOLUTION" in c.source
        or "# YOUR CODE HERE" in c.source]
    return notebook


def _read(folder, lesson=LESSON):
    return exercise_cells(nbformat.read(os.path.join(folder, lesson), as_version=4))


def _write(folder, student, notebook, lesson=LESSON):
    path = folder / student / lesson
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return str(path)


def _replace_function(notebook, name, body):
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(f"def {name}("):
            cell.source = cell.source.split("\n")[0] + "\n" + body
            return notebook
    raise AssertionError(f"no cell defines {name}")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade one batch of submissions of lesson 00 (one grader run, as an instructor would):
    the reader's and the student edition, and planted failures."""
    folder = tmp_path_factory.mktemp("submissions")
    reader, student = _read(NOTEBOOKS), _read(LESSONS)
    paths = [_write(folder, "reader", reader), _write(folder, "student", student)]

    # One notebook, three failures: 0.1 hands in the package's own bounce_step, 0.2 loops
    # forever (sleeping, so that the cell timeout's wait does not take a core from the tests
    # running beside it), 0.3's check cell is deleted.
    planted = _replace_function(copy.deepcopy(reader), "motion_map",
                                "    import time\n    while True:\n        time.sleep(0.05)")
    answer = next(c for c in planted.cells if c.cell_type == "code"
                  and c.source.startswith("def bounce_step("))
    answer.source = "from vidgen_tf.data import bounce_step"
    planted.cells.remove(check_cells(planted)["0.3"])

    # 0.2 calls the package's frame_differences (imported by the notebook's imports cell).
    caller = _replace_function(copy.deepcopy(reader), "motion_map",
                               "    return frame_differences(video)")

    crashing = copy.deepcopy(reader)
    where = next(i for i, c in enumerate(crashing.cells)
                 if c.cell_type == "code" and c.source.startswith("def psnr_from_definition("))
    crashing.cells.insert(where, nbformat.v4.new_code_cell("import os\nos._exit(1)"))

    # Forged: no solutions, but the check cells' stored outputs copied from the reader's
    # edition, and one check cell rewritten to print the success line itself.
    forged = copy.deepcopy(student)
    passed = {e: c for e, c in check_cells(reader).items()}
    for exercise_id, cell in check_cells(forged).items():
        cell.outputs = copy.deepcopy(passed[exercise_id].outputs)
        cell.execution_count = passed[exercise_id].execution_count
    line = passed["0.1"].outputs[0]["text"].strip()
    check_cells(forged)["0.1"].source = (f'# NBVAL_CHECK_OUTPUT\n# check_exercise("0.1", '
                                         f'bounce_step)\nprint({line!r})')

    paths += [_write(folder, "planted", planted), _write(folder, "caller", caller),
              _write(folder, "crashing", crashing), _write(folder, "forger", forged)]
    broken = folder / "mallory" / LESSON
    broken.parent.mkdir()
    broken.write_text('{"cells": [')
    paths.append(str(broken))
    out = str(folder / "report")
    results = grade(paths, NOTEBOOKS, out, cell_timeout=CELL_TIMEOUT, total_timeout=900,
                    log=lambda line: None)
    table = {(r.student, r.exercise): r for r in results}
    return table, out


def _scores(table, student):
    return {e: r.points for (s, e), r in table.items() if s == student}


def test_reader_edition_gets_full_marks_and_student_edition_zero(graded):
    table, _ = graded
    assert _scores(table, "reader") == {"0.1": 1, "0.2": 1, "0.3": 1}
    assert _scores(table, "student") == {"0.1": 0, "0.2": 0, "0.3": 0}
    assert "not done yet" in table[("student", "0.2")].detail


def _run_cells(notebook):
    """Run a notebook cut by ``exercise_cells`` in this process, without its set-up cell (the
    Colab install line is IPython syntax); ``{exercise id: None or the check's error}``."""
    cells = [c for c in notebook.cells if not c.source.startswith("# Set-up.")]
    checks = {id(c): e for e, c in check_cells(notebook).items()}
    namespace, outcome = {}, {}
    for cell in cells:
        try:
            exec(compile(cell.source, "<cell>", "exec"), namespace)
            if id(cell) in checks:
                outcome[checks[id(cell)]] = None
        except AssertionError as error:
            outcome[checks[id(cell)]] = str(error)
    return outcome


@pytest.mark.parametrize("lesson", [n for n in lesson_files(NOTEBOOKS) if n != LESSON])
def test_every_other_lesson_passes_from_the_reader_and_fails_from_the_student_edition(lesson):
    """What the grader would score for the other lessons, without a kernel per notebook (the
    grader itself is tested on lesson 00 above; every whole lesson runs in
    ``make test-notebooks`` with its check cells compared)."""
    reader = _run_cells(_read(NOTEBOOKS, lesson))
    student = _run_cells(_read(LESSONS, lesson))
    assert len(reader) >= 3 and set(reader) == set(student)
    assert all(problem is None for problem in reader.values()), reader
    assert all(problem and "not done yet" in problem for problem in student.values()), student


def test_loop_reference_and_deleted_check_each_cost_only_their_exercise(graded):
    table, _ = graded
    assert _scores(table, "planted") == {"0.1": 0, "0.2": 0, "0.3": 0}
    assert table[("planted", "0.1")].status == "uses reference"
    assert ("your answer is vidgen_tf.data.bounce_step, the reference it is compared with: "
            "write it yourself") in table[("planted", "0.1")].detail
    assert f"Timeout of {CELL_TIMEOUT} seconds" in table[("planted", "0.2")].detail
    assert table[("planted", "0.3")].status == "missing"


def test_an_answer_that_calls_the_reference_fails_and_is_flagged(graded):
    table, _ = graded
    assert _scores(table, "caller") == {"0.1": 1, "0.2": 0, "0.3": 1}
    assert table[("caller", "0.2")].status == "uses reference"
    assert ("your answer calls vidgen_tf.metrics.frame_differences"
            in table[("caller", "0.2")].detail)


def test_kernel_crash_zeroes_what_follows(graded):
    table, _ = graded
    assert _scores(table, "crashing") == {"0.1": 1, "0.2": 1, "0.3": 0}
    assert table[("crashing", "0.3")].status == "not run"
    assert "the run stopped at code cell" in table[("crashing", "0.3")].detail


def test_forged_outputs_do_not_pass(graded):
    table, _ = graded
    assert _scores(table, "forger") == {"0.1": 0, "0.2": 0, "0.3": 0}


def test_invalid_json_is_graded_not_fatal(graded):
    table, _ = graded
    assert _scores(table, "mallory") == {"0.1": 0, "0.2": 0, "0.3": 0}
    assert table[("mallory", "0.1")].status == "invalid notebook"


def test_reports(graded):
    table, out = graded
    with open(out + ".csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(table)
    assert {r["status"] for r in rows} == {"passed", "failed", "not run", "missing",
                                           "invalid notebook", "uses reference"}
    markdown = open(out + ".md").read()
    assert "| caller | 1 | 0 | 1 | 2/3 |" in markdown
    assert "- crashing, exercise 0.3: not run" in markdown
    assert "- planted, exercise 0.1: uses reference (AssertionError: Exercise 0.1 failed: your " \
           "answer is vidgen_tf.data.bounce_step" in markdown


def test_malformed_notebooks_do_not_stop_grading(tmp_path):
    no_source = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None}], "metadata": {}, "nbformat": 4,
                 "nbformat_minor": 5}
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / LESSON).write_text(__import__("json").dumps(no_source))
    strange = _read(NOTEBOOKS)
    strange.metadata["vidgen_tf"] = "not a dict"
    (tmp_path / "ben").mkdir()
    nbformat.write(strange, tmp_path / "ben" / LESSON)
    results = grade([str(tmp_path / "ann" / LESSON), str(tmp_path / "ben" / LESSON)], NOTEBOOKS,
                    str(tmp_path / "report"), cell_timeout=CELL_TIMEOUT, log=lambda line: None)
    table = {(r.student, r.exercise): r for r in results}
    assert {r.status for (s, _), r in table.items() if s == "ann"} == {"invalid notebook"}
    assert "not a valid notebook" in table[("ann", "0.1")].detail
    assert _scores(table, "ben") == {"0.1": 1, "0.2": 1, "0.3": 1}   # lesson found by name


def test_notebook_time_limit_keeps_the_points_already_earned(tmp_path):
    slow = _read(NOTEBOOKS)
    slow.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    path = _write(tmp_path, "sleepy", slow)
    results = grade([path], NOTEBOOKS, str(tmp_path / "report"), cell_timeout=300,
                    total_timeout=60, log=lambda line: None)
    assert {r.exercise: r.points for r in results} == {"0.1": 1, "0.2": 1, "0.3": 1}


def _grade_command(cwd, *args):
    """Run ``python -m vidgen_tf.course grade ARGS`` in ``cwd``; the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "vidgen_tf.course", "grade", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def _one_error_line(stderr):
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.mark.parametrize("reference", [None, "notebookz"])
def test_a_wrong_reference_folder_stops_before_grading(tmp_path, reference):
    submission = tmp_path / "alice" / LESSON
    submission.parent.mkdir()
    submission.write_bytes(open(os.path.join(NOTEBOOKS, LESSON), "rb").read())
    args = [str(submission)] + (["--reference", reference] if reference else [])
    run = _grade_command(tmp_path, *args)           # no notebooks/ in this folder
    assert run.returncode == 2
    line = _one_error_line(run.stderr)
    assert str(tmp_path / (reference or "notebooks")) in line
    assert "does not exist: expected the folder of the instructor's" in line
    assert "grading" not in run.stdout and not (tmp_path / "report.csv").exists()


def test_a_reference_folder_without_lessons_stops_before_grading(tmp_path):
    (tmp_path / "empty").mkdir()
    run = _grade_command(tmp_path, "x.ipynb", "--reference", "empty")
    assert run.returncode == 2
    assert "holds no lesson notebook" in _one_error_line(run.stderr)


def test_a_missing_submission_is_reported_and_the_others_are_graded(tmp_path):
    present = tmp_path / "bob" / LESSON          # not JSON: graded at once, without a kernel
    present.parent.mkdir()
    present.write_text('{"cells": [')
    missing = tmp_path / "carol" / LESSON
    run = _grade_command(tmp_path, str(missing), str(present), "--reference", NOTEBOOKS)
    assert run.returncode == 1
    assert f"missing: {missing} does not exist (not graded)" in run.stdout
    assert str(missing) in _one_error_line(run.stderr)
    with open(tmp_path / "report.csv") as f:
        rows = list(csv.DictReader(f))
    assert {r["student"] for r in rows} == {"bob"} and len(rows) == 3

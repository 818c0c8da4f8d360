"""Grading real notebooks: the reader's and student editions of every lesson, and planted
failures (an infinite loop, a kernel crash, forged outputs, a file that is not JSON, answers
that use the reference); the command line's exit codes for the instructor's mistakes."""

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


def _write(folder, student, notebook):
    path = folder / student / LESSON
    path.parent.mkdir(parents=True)
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
    """Grade one batch of submissions of lesson 00 (one grader run, as an instructor would)."""
    folder = tmp_path_factory.mktemp("submissions")
    reader = nbformat.read(os.path.join(NOTEBOOKS, LESSON), as_version=4)
    student = nbformat.read(os.path.join(LESSONS, LESSON), as_version=4)

    looping = _replace_function(copy.deepcopy(reader), "motion_map", "    while True:\n        pass")

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
    check_cells(forged)["0.1"].source = (f'# NBVAL_CHECK_OUTPUT\n# check_exercise("0.1", bounce_step)\n'
                                         f'print({line!r})')

    # Copied: 0.1 is the package's bounce_step imported, 0.2 calls the package's
    # frame_differences (imported by the notebook's first cell).
    copier = _replace_function(copy.deepcopy(reader), "motion_map",
                               "    return frame_differences(video)")
    answer = next(c for c in copier.cells if c.cell_type == "code"
                  and c.source.startswith("def bounce_step("))
    answer.source = "from vidgen_tf.data import bounce_step"

    # Deleted: the student removed the check cell of exercise 0.3.
    deleted = copy.deepcopy(reader)
    deleted.cells.remove(check_cells(deleted)["0.3"])

    paths = [_write(folder, "reader", reader), _write(folder, "student", student),
             _write(folder, "looping", looping), _write(folder, "crashing", crashing),
             _write(folder, "forger", forged), _write(folder, "deleter", deleted),
             _write(folder, "copier", copier)]
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


def test_reader_edition_gets_full_marks(graded):
    table, _ = graded
    assert _scores(table, "reader") == {"0.1": 1, "0.2": 1, "0.3": 1}


def test_untouched_student_edition_gets_zero(graded):
    table, _ = graded
    assert _scores(table, "student") == {"0.1": 0, "0.2": 0, "0.3": 0}
    assert "not done yet" in table[("student", "0.2")].detail


def test_infinite_loop_fails_only_its_exercise(graded):
    table, _ = graded
    assert _scores(table, "looping") == {"0.1": 1, "0.2": 0, "0.3": 1}
    assert f"Timeout of {CELL_TIMEOUT} seconds" in table[("looping", "0.2")].detail


def test_kernel_crash_zeroes_what_follows(graded):
    table, _ = graded
    assert _scores(table, "crashing") == {"0.1": 1, "0.2": 1, "0.3": 0}
    assert table[("crashing", "0.3")].status == "not run"
    assert "the run stopped at code cell" in table[("crashing", "0.3")].detail


def test_forged_outputs_do_not_pass(graded):
    table, _ = graded
    assert _scores(table, "forger") == {"0.1": 0, "0.2": 0, "0.3": 0}


def test_answers_that_use_the_reference_fail_and_are_flagged(graded):
    table, _ = graded
    assert _scores(table, "copier") == {"0.1": 0, "0.2": 0, "0.3": 1}
    assert {table[("copier", e)].status for e in ("0.1", "0.2")} == {"uses reference"}
    assert ("your answer is vidgen_tf.data.bounce_step, the reference it is compared with: "
            "write it yourself") in table[("copier", "0.1")].detail
    assert ("your answer calls vidgen_tf.metrics.frame_differences"
            in table[("copier", "0.2")].detail)


def test_deleted_check_cell_scores_zero(graded):
    table, _ = graded
    assert _scores(table, "deleter") == {"0.1": 1, "0.2": 1, "0.3": 0}
    assert table[("deleter", "0.3")].status == "missing"


def test_invalid_json_is_graded_not_fatal(graded):
    table, _ = graded
    assert _scores(table, "mallory") == {"0.1": 0, "0.2": 0, "0.3": 0}
    assert table[("mallory", "0.1")].status == "invalid notebook"


def test_reports(graded):
    table, out = graded
    with open(out + ".csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(table) == 8 * 3
    assert {r["status"] for r in rows} == {"passed", "failed", "not run", "missing",
                                           "invalid notebook", "uses reference"}
    markdown = open(out + ".md").read()
    assert "| reader | 1 | 1 | 1 | 3/3 |" in markdown
    assert "| looping | 1 | 0 | 1 | 2/3 |" in markdown
    assert "- crashing, exercise 0.3: not run" in markdown
    assert "- copier, exercise 0.1: uses reference (AssertionError: Exercise 0.1 failed: your " \
           "answer is vidgen_tf.data.bounce_step" in markdown


@pytest.mark.parametrize("lesson", [n for n in lesson_files(NOTEBOOKS) if n != LESSON])
def test_every_other_lesson_grades_full_and_zero(tmp_path, lesson):
    paths = []
    for who, folder in (("reader", NOTEBOOKS), ("student", LESSONS)):
        target = tmp_path / who / lesson
        target.parent.mkdir()
        target.write_bytes(open(os.path.join(folder, lesson), "rb").read())
        paths.append(str(target))
    results = grade(paths, NOTEBOOKS, str(tmp_path / "report"), cell_timeout=600,
                    log=lambda line: None)
    assert all(r.points == 1 for r in results if r.student == "reader")
    assert all(r.points == 0 for r in results if r.student == "student")


def test_malformed_notebooks_do_not_stop_grading(tmp_path):
    no_source = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                            "execution_count": None}], "metadata": {}, "nbformat": 4,
                 "nbformat_minor": 5}
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / LESSON).write_text(__import__("json").dumps(no_source))
    strange = nbformat.read(os.path.join(NOTEBOOKS, LESSON), as_version=4)
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
    slow = nbformat.read(os.path.join(NOTEBOOKS, LESSON), as_version=4)
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

"""Grading student notebooks with nbval.

For each submitted notebook:

1. Find its lesson (notebook metadata ``vidgen_tf.lesson``, else its file name) and the
   instructor's notebook of that lesson (the reader's edition, executed).
2. Put the instructor's check cells into the submission, matched by exercise id: the check
   cell's code and its expected output line both come from the instructor, so editing a
   stored output (or a check cell) cannot pass. A check cell the student deleted scores zero.
3. Run the notebook with ``pytest --nbval-lax`` at the ``smoke`` profile, in a temporary
   folder that holds nothing but the submission, with a time limit per cell and one for the
   whole notebook. A hanging cell is interrupted; a crashed kernel fails the cells after it.
4. Score each exercise: its check cell passed (1 point) or not (0), with the reason. An
   answer that calls (or is) the package function it is compared with fails, flagged
   ``uses reference`` (``checks.py`` trips the reference while the answer runs).

A submission that is not valid JSON, hangs, or kills its kernel is graded (zero where it
failed) and the grader goes on to the next one. A submission path that does not exist is
reported and skipped; the others are graded. The instructor's own mistakes (no reference
folder, no nbval) raise ``SetupError`` before anyone is graded. Reports: ``report.csv`` (one
row per student and exercise) and ``report.md`` (a table per lesson, then the reasons for
lost points).

Run ``python -m vidgen_tf.course grade SUBMISSIONS... --out report``.

Introduced in lesson 00 (instructor guide: ``lessons/README.md``).
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

import nbformat

from vidgen_tf.course.checks import REFERENCE_USED
from vidgen_tf.course.release import lesson_files

CHECK_MARKER = "NBVAL_CHECK_OUTPUT"
CHECK_CALL = re.compile(r"check_exercise\(\s*['\"]([^'\"]+)['\"]")


@dataclasses.dataclass
class Result:
    """One student's result on one exercise."""

    student: str
    lesson: str
    exercise: str
    status: str  # "passed", "failed", "uses reference", "missing", "not run", "invalid notebook"
    points: int
    detail: str = ""


def check_cells(notebook):
    """``{exercise_id: cell}`` of the check cells of a notebook (code cells marked
    ``# NBVAL_CHECK_OUTPUT`` that call ``check_exercise("id", ...)``)."""
    found = {}
    for cell in notebook.cells:
        if cell.cell_type == "code" and CHECK_MARKER in cell.source:
            match = CHECK_CALL.search(cell.source)
            if match:
                found.setdefault(match.group(1), cell)
    return found


def find_reference(path, notebook, reference_dir):
    """Path of the instructor notebook of a submission, or None."""
    names = [f for f in os.listdir(reference_dir) if f.endswith(".ipynb")]
    meta = notebook.get("metadata", {}) if isinstance(notebook, dict) else {}
    ours = meta.get("vidgen_tf") if isinstance(meta, dict) else None
    lesson = ours.get("lesson") if isinstance(ours, dict) else None
    base = os.path.basename(path)
    candidates = [f"{lesson}.ipynb"] if isinstance(lesson, str) and lesson else []
    candidates.append(base)
    prefix = re.match(r"^(\d\d)", base)
    if prefix:
        candidates += sorted(f for f in names if f.startswith(prefix.group(1) + "_"))
    for name in candidates:
        if name in names:
            return os.path.join(reference_dir, name)
    return None


def student_name(path, lesson_file):
    """The folder name for ``alice/00_video_as_data.ipynb``; the file stem otherwise."""
    base = os.path.basename(path)
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    if lesson_file and base == os.path.basename(lesson_file) and folder:
        return folder
    return os.path.splitext(base)[0]


def prepare(submission, reference):
    """The submission with the instructor's check cells, and where each check now stands.

    Returns:
        ``(notebook, positions)``: ``positions[exercise_id]`` is the code-cell number of the
        check cell (nbval names it ``Cell N``), or None if the student deleted it.
    """
    expected = check_cells(reference)
    notebook = nbformat.from_dict(json.loads(json.dumps(submission)))
    found = check_cells(notebook)
    for exercise_id, cell in found.items():
        if exercise_id in expected:
            ref = expected[exercise_id]
            cell.source = ref.source
            cell.outputs = nbformat.from_dict(json.loads(json.dumps(ref.outputs)))
            cell.execution_count = ref.execution_count or 1
    # Cells that pretend to be checks of exercises they are not (duplicates) are not checked.
    positions = {exercise_id: None for exercise_id in expected}
    number = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        match = CHECK_CALL.search(cell.source) if CHECK_MARKER in cell.source else None
        if match and match.group(1) in positions and positions[match.group(1)] is None \
                and cell is found.get(match.group(1)):
            positions[match.group(1)] = number
        number += 1
    return notebook, positions


# A pytest plugin written next to the submission: it records every cell's result the moment
# the cell finishes, so that a run killed at the notebook's time limit keeps what it did.
RECORDER = """
import json

def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        with open("cell_results.jsonl", "a") as f:
            f.write(json.dumps({"name": report.nodeid, "outcome": report.outcome,
                                "when": report.when,
                                "text": report.longreprtext[-4000:]}) + "\\n")
"""


def run_nbval(notebook_path, cell_timeout, total_timeout, profile="smoke"):
    """Run one notebook under ``pytest --nbval-lax`` in its folder.

    Returns:
        ``(results, problem)``: ``results[n] = (passed, message)`` for code cell ``n`` that
        ran; ``problem`` is None or why the run as a whole failed (time limit, crash).
    """
    folder = os.path.dirname(notebook_path)
    record = os.path.join(folder, "cell_results.jsonl")
    with open(os.path.join(folder, "pytest.ini"), "w") as f:
        f.write("[pytest]\n")
    with open(os.path.join(folder, "conftest.py"), "w") as f:
        f.write(RECORDER)
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
               f"--nbval-cell-timeout={cell_timeout}", "-p", "no:cacheprovider", "-q",
               os.path.basename(notebook_path)]
    env = dict(os.environ, VIDGEN_PROFILE=profile, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    problem = None
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=total_timeout)
    except subprocess.TimeoutExpired:
        problem = f"the notebook exceeded the grading time limit of {total_timeout} s"
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    results = {}
    if os.path.exists(record):
        with open(record) as f:
            for line in f:
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:   # a line cut short by the time limit
                    continue
                match = re.search(r"Cell (\d+)", item["name"])
                if not match or item["outcome"] == "skipped":
                    continue
                number = int(match.group(1))
                if item["outcome"] == "passed":
                    results.setdefault(number, (True, ""))
                else:
                    results[number] = (False, _reason(item["text"]))
    if not results and problem is None:
        tail = _clean(output.decode(errors="replace")).strip().splitlines()[-3:]
        problem = "the notebook could not be run: " + " | ".join(tail)[:300]
    return results, problem


ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")


def _clean(text):
    return ANSI.sub("", text)


def _reason(text):
    """A one-line reason from a failed cell's report: the exception line of the traceback
    (the last one), else nbval's own message (time limit, dead kernel, differing output)."""
    lines = [ln.strip() for ln in _clean(text).splitlines() if ln.strip()]
    exceptions = [ln for ln in lines if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt)"
                                                 r"(: .*)?$", ln)]
    if exceptions:
        return exceptions[-1][:300]
    for line in lines:
        if re.search(r"Timeout of|Kernel dead|Cell outputs differ|Cell \d+:", line):
            return re.sub(r"^Cell \d+: ", "", line)[:300]
    return (lines[0] if lines else "failed")[:300]


def grade_one(path, reference_dir, cell_timeout=120, total_timeout=1800, profile="smoke"):
    """Grade one submission.

    Returns:
        list of ``Result``, one per exercise of the lesson (one row if the lesson is unknown).
    """
    try:
        submission = nbformat.read(path, as_version=4)
        nbformat.validate(submission)
        invalid = None
    except Exception as error:  # not JSON, not a valid notebook, unreadable
        submission, invalid = None, f"not a valid notebook ({type(error).__name__}: {error})"
    reference_path = find_reference(path, submission, reference_dir)
    student = student_name(path, reference_path)
    if reference_path is None:
        return [Result(student, "?", "*", "invalid notebook", 0,
                       invalid or "no lesson matches this notebook's name or metadata")]
    lesson = os.path.splitext(os.path.basename(reference_path))[0]
    reference = nbformat.read(reference_path, as_version=4)
    exercises = sorted(check_cells(reference), key=_exercise_key)
    if invalid:
        return [Result(student, lesson, e, "invalid notebook", 0, invalid[:300])
                for e in exercises]
    notebook, positions = prepare(submission, reference)
    with tempfile.TemporaryDirectory(prefix="vidgen_grade_") as folder:
        target = os.path.join(folder, os.path.basename(reference_path))
        nbformat.write(notebook, target)
        results, problem = run_nbval(target, cell_timeout, total_timeout, profile)
    rows = []
    for exercise_id in exercises:
        number = positions[exercise_id]
        if number is None:
            rows.append(Result(student, lesson, exercise_id, "missing", 0,
                               "the check cell of this exercise was deleted"))
        elif number in results:
            passed, reason = results[number]
            rows.append(Result(student, lesson, exercise_id, _status(passed, reason),
                               int(passed), reason))
        else:
            stops = [n for n in sorted(results) if n < number and not results[n][0]]
            why = (f"the run stopped at code cell {stops[-1]}: {results[stops[-1]][1]}"
                   if stops else "the run stopped before this check")
            rows.append(Result(student, lesson, exercise_id, "not run", 0, problem or why))
    return rows


def _status(passed, reason):
    """``passed``, ``failed``, or ``uses reference`` for an answer that called its reference."""
    if passed:
        return "passed"
    return "uses reference" if REFERENCE_USED in reason else "failed"


def _exercise_key(exercise_id):
    return tuple(int(p) if p.isdigit() else p for p in exercise_id.split("."))


def write_reports(results, out):
    """Write ``out.csv`` and ``out.md`` (``out`` without extension); return both paths."""
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    csv_path, md_path = out + ".csv", out + ".md"
    fields = [f.name for f in dataclasses.fields(Result)]
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for r in results:
            writer.writerow(dataclasses.asdict(r))
    lines = ["# Grades", ""]
    for lesson in sorted({r.lesson for r in results}):
        rows = [r for r in results if r.lesson == lesson]
        exercises = sorted({r.exercise for r in rows}, key=_exercise_key)
        students = sorted({r.student for r in rows})
        lines += [f"## {lesson}", "",
                  "| student | " + " | ".join(exercises) + " | total |",
                  "|---|" + "---|" * (len(exercises) + 1)]
        for s in students:
            mine = {r.exercise: r for r in rows if r.student == s}
            marks = [("1" if mine[e].points else "0") if e in mine else "-" for e in exercises]
            total = sum(r.points for r in mine.values())
            lines.append(f"| {s} | " + " | ".join(marks) + f" | {total}/{len(exercises)} |")
        lines.append("")
        lost = [r for r in rows if not r.points]
        if lost:
            lines += ["Points lost:", ""]
            lines += [f"- {r.student}, exercise {r.exercise}: {r.status}"
                      + (f" ({r.detail})" if r.detail else "") for r in lost]
            lines.append("")
    with open(md_path, "w") as f:
        f.write("\n".join(lines))
    return csv_path, md_path


class SetupError(Exception):
    """The instructor's mistake (no reference notebooks, no nbval): nobody can be graded."""


def check_setup(reference_dir):
    """Raise ``SetupError`` unless nbval is installed and ``reference_dir`` holds lessons."""
    if importlib.util.find_spec("nbval") is None:
        raise SetupError("grading needs nbval: pip install nbval (it is in requirements.txt "
                         "and in the package's [dev] extra)")
    expected = ("expected the folder of the instructor's executed lesson notebooks "
                "(NN_name.ipynb, the repository's notebooks/); pass it with --reference")
    if not os.path.isdir(reference_dir):
        raise SetupError(f"reference folder {os.path.abspath(reference_dir)} does not exist: "
                         f"{expected}")
    if not lesson_files(reference_dir):
        raise SetupError(f"reference folder {os.path.abspath(reference_dir)} holds no lesson "
                         f"notebook: {expected}")


def collect_submissions(submissions):
    """The notebooks to grade, and the given paths that do not exist.

    Returns:
        ``(paths, missing)``: folders are searched for ``*.ipynb`` (checkpoints skipped).
    """
    paths, missing = [], []
    for item in submissions:
        if os.path.isdir(item):
            for root, _, files in sorted(os.walk(item)):
                paths += [os.path.join(root, f) for f in sorted(files) if f.endswith(".ipynb")
                          and ".ipynb_checkpoints" not in root]
        elif os.path.exists(item):
            paths.append(item)
        else:
            missing.append(item)
    return paths, missing


def grade(submissions, reference_dir="notebooks", out="report", cell_timeout=120,
          total_timeout=1800, profile="smoke", log=print):
    """Grade every submission and write the reports.

    Args:
        submissions: list of notebook paths (folders are searched for ``*.ipynb``).
        reference_dir: str. The instructor's executed notebooks (the reader's edition).
        out: str. Report path without extension.
        cell_timeout: int. Seconds a cell may run before it is interrupted.
        total_timeout: int. Seconds a whole notebook may run.
        profile: str. The profile submissions run at.
        log: callable for progress lines.

    Returns:
        list of ``Result`` (none for a submission path that does not exist: it is logged).

    Raises:
        SetupError: before grading anyone, if ``reference_dir`` or nbval is missing.
    """
    check_setup(reference_dir)
    paths, missing = collect_submissions(submissions)
    for path in missing:
        log(f"missing: {path} does not exist (not graded)")
    results = []
    for i, path in enumerate(paths, 1):
        log(f"[{i}/{len(paths)}] grading {path} ...")
        try:
            rows = grade_one(path, reference_dir, cell_timeout, total_timeout, profile)
        except Exception as error:  # whatever a submission does, the next one is graded
            rows = [Result(student_name(path, None), "?", "*", "invalid notebook", 0,
                           f"grading failed: {type(error).__name__}: {error}"[:300])]
        score = sum(r.points for r in rows)
        log(f"[{i}/{len(paths)}] {rows[0].student}: {score}/{len(rows)}")
        results += rows
    csv_path, md_path = write_reports(results, out)
    log(f"wrote {csv_path} and {md_path}")
    return results


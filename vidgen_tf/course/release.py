"""The student edition: ``lessons/`` made from ``notebooks/`` by removing solutions.

In the reader's edition (``notebooks/``), the code a student must write stands between two
marker comments::

    def bounce_step(position, velocity, low, high):
        # BEGIN SOLUTION
        ...
        # END SOLUTION

The release replaces each such block with a stub at the same indentation::

        # YOUR CODE HERE
        raise NotImplementedError("Exercise: replace this line with your code.")

clears every output, points the Colab badge at ``lessons/``, and marks the notebook's metadata ``vidgen_tf.edition = "student"``.
Only lesson notebooks (``NN_name.ipynb``) are released.

Run ``python -m vidgen_tf.course release``; the test suite fails when ``lessons/`` is out of
date.

Introduced in lesson 00 (instructor guide: ``lessons/README.md``).
"""

from __future__ import annotations

import copy
import os
import re

import nbformat

from vidgen_tf.course.colab import is_badge_cell

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB = ('# YOUR CODE HERE', 'raise NotImplementedError("Exercise: replace this line with your '
        'code.")')
LESSON_PATTERN = re.compile(r"^\d\d_[\w-]+\.ipynb$")


class ReleaseError(ValueError):
    """A notebook's solution markers are malformed."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace every ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block of code by a stub.

    Args:
        source: str. A code cell's source.
        where: str. Names the cell in error messages.

    Returns:
        str. The source with stubs in place of solutions.

    Raises:
        ReleaseError: a block is not closed, an END has no BEGIN, or blocks are nested.
    """
    out, inside, indent = [], False, ""
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ReleaseError(f"{where}, line {number}: nested {BEGIN}.")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB)
        elif stripped == END:
            if not inside:
                raise ReleaseError(f"{where}, line {number}: {END} without {BEGIN}.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ReleaseError(f"{where}: {BEGIN} is never closed by {END}.")
    return "\n".join(out)


def student_edition(notebook, where: str = "notebook"):
    """A copy of a reader's-edition notebook with solutions stubbed and outputs cleared."""
    notebook = copy.deepcopy(notebook)
    for index, cell in enumerate(notebook.cells):
        if is_badge_cell(cell):         # the badge opens this edition
            cell.source = cell.source.replace("/notebooks/", "/lessons/")
        if cell.cell_type != "code":
            continue
        cell.source = strip_solutions(cell.source, where=f"{where}, code cell {index}")
        cell.outputs = []
        cell.execution_count = None
        cell.metadata.pop("execution", None)
    meta = notebook.metadata.setdefault("vidgen_tf", {})
    meta["edition"] = "student"
    meta.pop("executed", None)          # the reader's edition's run, not this notebook's
    return notebook


def lesson_files(folder):
    """Sorted lesson notebook names (``NN_name.ipynb``) in a folder."""
    return sorted(f for f in os.listdir(folder) if LESSON_PATTERN.match(f))


def release(notebooks="notebooks", lessons="lessons"):
    """Write the student edition of every lesson and remove editions of deleted lessons.

    Returns:
        list of str: the files written.
    """
    os.makedirs(lessons, exist_ok=True)
    names = lesson_files(notebooks)
    written = []
    for name in names:
        source = nbformat.read(os.path.join(notebooks, name), as_version=4)
        target = os.path.join(lessons, name)
        nbformat.write(student_edition(source, where=name), target)
        written.append(target)
    for stale in set(lesson_files(lessons)) - set(names):
        os.remove(os.path.join(lessons, stale))
    return written


def out_of_date(notebooks="notebooks", lessons="lessons"):
    """Lesson names whose student edition differs from what ``release`` would write.

    Returns:
        list of str (empty when ``lessons/`` is up to date).
    """
    names = lesson_files(notebooks)
    stale = sorted(set(lesson_files(lessons)) - set(names)) if os.path.isdir(lessons) else []
    for name in names:
        expected = student_edition(nbformat.read(os.path.join(notebooks, name), as_version=4),
                                   where=name)
        path = os.path.join(lessons, name)
        if not os.path.exists(path) or nbformat.read(path, as_version=4) != expected:
            stale.append(name)
    return sorted(stale)

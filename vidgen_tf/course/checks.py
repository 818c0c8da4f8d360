"""Exercise checks: compare a student's function with the package's reference.

Each exercise is registered with an id (``"0.1"``: lesson 0, exercise 1), a title and a
check. A check calls the student's function on fresh random inputs (a new draw every run, so
a hard-coded answer cannot pass), compares with the reference in ``vidgen_tf``, and either
prints one deterministic line::

    Exercise 0.1 passed: bounce_step agrees with vidgen_tf.data.bounce_step on 400 random cases.

or raises an ``AssertionError`` that says what differs, on which input. In a notebook the
check cell is marked ``# NBVAL_CHECK_OUTPUT`` so that nbval (and the grader) compare that
line::

    # NBVAL_CHECK_OUTPUT
    from vidgen_tf.course import check_exercise
    check_exercise("0.1", bounce_step)

Introduced in lesson 00.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A registered exercise.

    Attributes:
        id: str, ``"<lesson>.<n>"``.
        title: str. What the student writes.
        check: callable ``check(answer, rng) -> str`` returning the success detail, raising
            ``AssertionError`` on a wrong answer.
    """

    id: str
    title: str
    check: Callable

    @property
    def lesson(self) -> int:
        return int(self.id.split(".")[0])


EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, title: str):
    """Decorator registering ``check(answer, rng) -> str`` as exercise ``exercise_id``."""

    def register(check):
        if exercise_id in EXERCISES:
            raise ValueError(f"Exercise {exercise_id} is registered twice.")
        EXERCISES[exercise_id] = Exercise(exercise_id, title, check)
        return check

    return register


def check_exercise(exercise_id: str, answer) -> None:
    """Check a student's answer to exercise ``exercise_id`` and print one line.

    Args:
        exercise_id: str, for example ``"0.1"``.
        answer: the student's function.

    Raises:
        KeyError: no such exercise.
        AssertionError: the answer is wrong, or not written yet; the message says how.
    """
    from vidgen_tf.course import exercises  # noqa: F401  (registers the exercises)

    if exercise_id not in EXERCISES:
        raise KeyError(f"No exercise {exercise_id!r}; known: {', '.join(sorted(EXERCISES))}.")
    ex = EXERCISES[exercise_id]
    if not callable(answer):
        raise AssertionError(f"Exercise {ex.id}: expected your function ({ex.title}), got "
                             f"{type(answer).__name__}.")
    try:
        detail = ex.check(answer, np.random.default_rng())
    except NotImplementedError:
        raise AssertionError(f"Exercise {ex.id} not done yet: {ex.title} still raises "
                             f"NotImplementedError. Replace the stub with your code.") from None
    except AssertionError as error:
        raise AssertionError(f"Exercise {ex.id} failed: {error}") from None
    print(f"Exercise {ex.id} passed: {detail}")


def compare(name, got, expected, case, rtol=1e-5, atol=1e-5):
    """Assert that ``got`` matches ``expected`` (shape and values); ``case`` describes inputs.

    Raises:
        AssertionError: naming ``name``, the case, and the first differing value.
    """
    got = np.asarray(got)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{name} has shape {got.shape}, expected {expected.shape} "
                             f"(for {case}).")
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        raise AssertionError(f"{name} has dtype {got.dtype}, expected numbers (for {case}).")
    bad = ~np.isclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol,
                      atol=atol, equal_nan=True)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{name} differs at index {where}: got {got[where]!r}, expected "
            f"{expected[where]!r} ({int(bad.sum())} of {bad.size} values differ; {case}).")

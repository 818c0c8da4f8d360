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

Each exercise names the package function(s) it reimplements. While the student's function
runs, those functions are tripwires: an answer that calls the reference it is compared with
(through any name: ``vidgen_tf.data.bounce_step``, ``vidgen_tf.data.physics.bounce_step``, a
name imported in the notebook) fails, and so does an answer that *is* the reference. The
expected values are computed with the real functions, between the student's calls.

Introduced in lesson 00.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
from typing import Callable

import numpy as np

from vidgen_tf.registry import Registry


@dataclasses.dataclass(frozen=True)
class Exercise:
    """A registered exercise.

    Attributes:
        id: str, ``"<lesson>.<n>"``.
        title: str. What the student writes.
        check: callable ``check(answer, rng) -> str`` returning the success detail, raising
            ``AssertionError`` on a wrong answer.
        reimplements: tuple of str, dotted names of the package functions the exercise asks
            the student to write (``"vidgen_tf.data.bounce_step"``): tripwires while the
            answer runs.
    """

    id: str
    title: str
    check: Callable
    reimplements: tuple = ()

    @property
    def lesson(self) -> int:
        return int(self.id.split(".")[0])


def _import_exercises():
    from vidgen_tf.course import exercises  # noqa: F401  (registers the exercises)


# an id registered twice is an error; the lessons' exercises are imported at the first lookup
EXERCISES = Registry("exercise", load=_import_exercises)


def exercise(exercise_id: str, title: str, reimplements):
    """Decorator registering ``check(answer, rng) -> str`` as exercise ``exercise_id``.

    ``reimplements``: the dotted name (or a tuple of them) of the package function(s) the
    student writes again; the answer may not call them or be them.
    """
    names = (reimplements,) if isinstance(reimplements, str) else tuple(reimplements)

    def register(check):
        EXERCISES.register(exercise_id, Exercise(exercise_id, title, check, names))
        return check

    return register


def check_exercise(exercise_id: str, answer) -> None:
    """Check a student's answer to exercise ``exercise_id`` and print one line.

    Args:
        exercise_id: str, for example ``"0.1"``.
        answer: the student's function.

    Raises:
        KeyError: no such exercise (``registry.UnknownName``, which lists the known ids).
        AssertionError: the answer is wrong, or not written yet; the message says how.
    """
    ex = EXERCISES.get(exercise_id)
    if not callable(answer):
        raise AssertionError(f"Exercise {ex.id}: expected your function ({ex.title}), got "
                             f"{type(answer).__name__}.")
    try:
        refuse_reference(answer, ex.reimplements)
        detail = ex.check(guarded(answer, ex.reimplements), np.random.default_rng())
    except NotImplementedError:
        raise AssertionError(f"Exercise {ex.id} not done yet: {ex.title} still raises "
                             f"NotImplementedError. Replace the stub with your code.") from None
    except (AssertionError, ReferenceUsed) as error:
        raise AssertionError(f"Exercise {ex.id} failed: {error}") from None
    print(f"Exercise {ex.id} passed: {detail}")


REFERENCE_USED = "the reference it is compared with: write it yourself"


class ReferenceUsed(Exception):
    """An answer called (or is) the package function it is compared with."""


def resolve(name):
    """The function named by a dotted path: ``"vidgen_tf.data.bounce_step"``, or a method,
    ``"vidgen_tf.models.vae._VAE.compute_loss"`` (the longest importable prefix is the
    module, the rest are attributes)."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(f"resolve: no module in {name!r}.")


def refuse_reference(answer, names):
    """Raise ``ReferenceUsed`` if ``answer`` is one of the functions ``names`` (or shares its
    code)."""
    for name in names:
        reference = resolve(name)
        if answer is reference or getattr(answer, "__code__", None) is reference.__code__:
            raise ReferenceUsed(f"your answer is {name}, {REFERENCE_USED}.")


def _tripwire(*args, **kwargs):
    """Stands in for a reference while an answer runs: its code, renamed after the reference,
    runs with the reference's module globals, hence the imports here."""
    import sys

    from vidgen_tf.course.checks import REFERENCE_USED, ReferenceUsed

    name = sys._getframe().f_code.co_name
    raise ReferenceUsed(f"your answer calls {name}, {REFERENCE_USED}.")


@contextlib.contextmanager
def tripwires(names):
    """Context in which every function in ``names`` raises ``ReferenceUsed`` when called.

    The functions' code is swapped, not the module attributes, so that every name bound to
    them trips: ``vidgen_tf.data.bounce_step``, ``vidgen_tf.data.physics.bounce_step``, and
    names imported into a notebook before the check. Restored on exit, even on error.
    """
    functions = [(resolve(name), name) for name in names]
    saved = [(function, function.__code__) for function, _ in functions]
    try:
        for function, name in functions:
            function.__code__ = _tripwire.__code__.replace(co_name=name)
        yield
    finally:
        for function, code in reversed(saved):
            function.__code__ = code


def guarded(answer, names):
    """``answer``, run with the functions ``names`` turned into tripwires during each call
    (the check computes its expected values with the real ones, between calls)."""

    def run(*args, **kwargs):
        with tripwires(names):
            return answer(*args, **kwargs)

    return run


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

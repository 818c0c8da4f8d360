"""Captions of synthetic clips: "a 3 moves down-left and an 8 moves up".

A caption names each object and the compass direction of its first motion (before any
bounce), in the order the objects were drawn.

Introduced in lesson 00; used for conditional and text-to-video lessons.
"""

from __future__ import annotations

from vidgen_tf.data.physics import DIRECTIONS


def with_article(noun_phrase: str) -> str:
    """``"a 3"``, ``"an 8"``, ``"an orange star"``: English indefinite article by sound."""
    # Words of this course's vocabulary that start with a vowel sound: "8" ("eight"),
    # "orange"; none starts with a silent or "you"-sounding letter.
    vowel_sound = noun_phrase.strip()[:1].lower() in ("a", "e", "i", "o", "8")
    return ("an " if vowel_sound else "a ") + noun_phrase


def join_clauses(clauses) -> str:
    """``["x", "y", "z"]`` -> ``"x, y and z"``."""
    clauses = list(clauses)
    if not clauses:
        return ""
    if len(clauses) == 1:
        return clauses[0]
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def describe(objects, directions) -> str:
    """A caption from object names and direction indices.

    Args:
        objects: list of str, for example ``["3", "7"]`` or ``["small red circle"]``.
        directions: list of int indices into ``physics.DIRECTIONS``.

    Returns:
        str, for example ``"a 3 moves down-left and a 7 moves up"``.
    """
    return join_clauses(
        f"{with_article(name)} moves {DIRECTIONS[int(d)]}" for name, d in zip(objects, directions)
    )

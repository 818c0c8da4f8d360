"""What a notebook's first cell checks: the installed package is the one the lesson needs.

On Colab a runtime outlives a notebook: a student who opens lesson 05 in a runtime where lesson
02 installed an older ``vidgen_tf`` gets that older package (pip sees it installed), or keeps an
old copy imported in memory after a new install. Both fail later, far from the cause.
``check_install`` fails at once and says what to do. Every lesson's first cell calls it with
the version the notebook was written for (``python -m vidgen_tf.course sync-colab`` writes it),
and it prints what the lesson runs on.

Introduced in lesson 00.
"""

from __future__ import annotations

import sys


class StaleInstallError(RuntimeError):
    """The installed or the imported ``vidgen_tf`` is older than the notebook needs."""


def version_tuple(version: str) -> tuple:
    """``"0.2.0"`` -> ``(0, 2, 0)``; a suffix after the numbers (``"0.2.0.dev1"``) is
    ignored.

    Raises:
        ValueError: the version does not start with a number.
    """
    import re

    numbers = []
    for part in str(version).split("."):
        digits = re.match(r"\d+", part)      # "3rc1" -> 3; "dev3" ends the numbers
        if not digits:
            break
        numbers.append(int(digits.group()))
        if digits.end() < len(part):
            break
    if not numbers:
        raise ValueError(f"Not a version number: {version!r} (expected something like '0.2.0').")
    return tuple(numbers)


def installed_version() -> str | None:
    """The version pip installed (the distribution's metadata on disk), or None."""
    from importlib import metadata

    try:
        return metadata.version("vidgen_tf")
    except metadata.PackageNotFoundError:
        return None


def check_install(required: str, installed: str | None = "auto",
                  imported: str | None = None) -> str:
    """Check that ``vidgen_tf`` is at least ``required``, and describe the set-up.

    Args:
        required: str. The version the notebook was written for.
        installed: the installed version; ``"auto"`` reads the distribution's metadata.
        imported: the version of the copy imported in this process; None reads
            ``vidgen_tf.__version__``.

    Returns:
        str. One line: the package version, the profile and its device, TensorFlow and Keras
        (the notebook prints it).

    Raises:
        StaleInstallError: the copy in memory is older than the one installed (restart the
            session), or the installed one is older than ``required`` (reinstall).
    """
    import keras
    import tensorflow as tf

    import vidgen_tf
    from vidgen_tf.config import detect_device, get_profile

    imported = imported or vidgen_tf.__version__
    installed = installed_version() if installed == "auto" else installed
    if installed and version_tuple(imported) < version_tuple(installed):
        raise StaleInstallError(
            f"This session still has vidgen_tf {imported} imported, but {installed} is now "
            f"installed. Restart the session (Colab: Runtime > Restart session), then run the "
            f"notebook again from the top.")
    if version_tuple(imported) < version_tuple(required):
        raise StaleInstallError(
            f"This notebook needs vidgen_tf {required} or newer; this session has {imported}. "
            f"A reused runtime keeps an older install: reinstall with "
            f"`pip install --upgrade --force-reinstall --no-deps \"vidgen_tf @ git+URL\"` (the "
            f"URL of this cell), or start a fresh runtime (Colab: Runtime > Disconnect and "
            f"delete runtime), then run the notebook from the top.")
    profile = get_profile()
    return (f"vidgen_tf {imported} | profile {profile.name} (device {detect_device()}) | "
            f"TensorFlow {tf.__version__} | Keras {keras.__version__} | "
            f"Python {sys.version.split()[0]}")

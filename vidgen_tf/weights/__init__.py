"""Trained weights that ship inside the package, found wherever the package is installed.

Weights are package data: ``vidgen_tf/weights/<kind>/`` holds the files and a
``manifest.json`` that records each file's SHA-256. They travel in the wheel and in a
``pip install "vidgen_tf @ git+URL"`` (Colab's way), and are found through
``importlib.resources``, so a lesson run from any folder, with the package installed anywhere,
loads the same checked files as a clone does.

    weights/evaluators/   the evaluator networks of the evaluation kit (lesson 08)

A file is trusted only after its SHA-256 matches the manifest (``checked_file``): a damaged or
replaced file is an error that says how to restore it, never a silently different model.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

MANIFEST = "manifest.json"


class WeightsError(RuntimeError):
    """Shipped weights are missing or do not match their recorded SHA-256."""


def shipped_dir(kind: str) -> Path:
    """The installed folder of one kind of shipped weights (``"evaluators"``, ...).

    Args:
        kind: str. A sub-folder of ``vidgen_tf/weights``.

    Returns:
        Path. The folder inside the installed package (it may not exist if the kind ships
        nothing).
    """
    # a wheel or git install is unpacked on disk, so the traversable is a real path
    return Path(str(resources.files(__name__) / kind))


def sha256(path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder) -> dict:
    """The ``manifest.json`` of a weights folder as a dict (empty if there is none)."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        return {}
    with open(path) as f:
        return json.load(f)


def write_entry(folder, name: str, entry: dict) -> None:
    """Add or replace one entry of a folder's manifest (sorted keys, stable diffs)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    manifest[name] = entry
    with open(folder / MANIFEST, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


def checked_file(folder, name: str, entry: dict, remedy: str,
                 error: type = WeightsError) -> Path:
    """The path of a manifest entry's file, after checking that it exists and its SHA-256.

    Args:
        folder: the folder that holds the manifest and the file.
        name: str. What the file is, for messages (``"evaluator 'digit_features'"``).
        entry: dict. The manifest entry, with ``file`` and ``sha256``.
        remedy: str. What to do about a missing or altered file (ends the message).
        error: the exception class to raise (a subclass of ``WeightsError``).

    Returns:
        Path. The checked file.

    Raises:
        error: the file is missing, or its SHA-256 differs from the entry's.
    """
    path = Path(folder) / entry["file"]
    if not path.exists():
        raise error(f"Weights of {name} are missing: {path}. {remedy}")
    found = sha256(path)
    if found != entry["sha256"]:
        raise error(
            f"Weights of {name} ({path}) do not match the manifest: SHA-256 {found[:12]}... "
            f"instead of {entry['sha256'][:12]}.... The file was changed or damaged. {remedy}")
    return path

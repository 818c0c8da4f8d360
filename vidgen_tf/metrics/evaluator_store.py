"""Where the trained evaluators live, and loading them with their checksums.

The weights ship in ``data/evaluators/`` beside ``manifest.json``, which records for each
evaluator its class, its configuration, its weights file, the file's SHA-256, its held-out
accuracy and how it was trained. ``load_evaluator(name)`` checks the SHA-256 before loading:
a missing or altered file is an error that says how to rebuild it.

The folder is found in this order: ``$VIDGEN_EVALUATORS``; ``data/evaluators`` of the
repository this package runs from (a clone, an editable install); ``share/vidgen_tf/
evaluators`` under the Python prefix (a pip install from git).

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

MANIFEST = "manifest.json"
NAMES = ("digit_classifier", "digit_features", "shape_features")
REBUILD = "python -m vidgen_tf.metrics.train_evaluators"


class EvaluatorError(RuntimeError):
    """An evaluator's weights are missing or do not match their recorded checksum."""


def evaluator_dir() -> Path:
    """The folder that holds ``manifest.json`` and the weights (see the module docstring)."""
    if os.environ.get("VIDGEN_EVALUATORS"):
        return Path(os.environ["VIDGEN_EVALUATORS"])
    candidates = [Path(__file__).resolve().parents[2] / "data" / "evaluators",
                  Path(sys.prefix) / "share" / "vidgen_tf" / "evaluators"]
    for folder in candidates:
        if (folder / MANIFEST).exists():
            return folder
    return candidates[0]


def sha256(path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder=None) -> dict:
    """The manifest of an evaluator folder (empty if there is none)."""
    path = Path(folder or evaluator_dir()) / MANIFEST
    if not path.exists():
        return {}
    with open(path) as f:
        return json.load(f)


def write_entry(folder, name, entry):
    """Add or replace one evaluator's entry in a folder's manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    manifest[name] = entry
    with open(folder / MANIFEST, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")


_CACHE: dict = {}


def load_evaluator(name, folder=None):
    """Build an evaluator and load its checked weights (cached per process and folder).

    Args:
        name: ``"digit_classifier"``, ``"digit_features"`` or ``"shape_features"``.
        folder: optional folder; ``evaluator_dir()`` when None.

    Returns:
        A ``DigitClassifier`` or ``VideoFeatureNet`` in inference mode.

    Raises:
        KeyError: unknown name.
        EvaluatorError: the manifest, the entry or the weights file is missing, or the file's
            SHA-256 differs from the manifest's. The message says how to rebuild.
    """
    from vidgen_tf.metrics import evaluators

    if name not in NAMES:
        raise KeyError(f"No evaluator {name!r}; the evaluators are {', '.join(NAMES)}.")
    folder = Path(folder or evaluator_dir())
    key = (str(folder.resolve()), name)
    if key in _CACHE:
        return _CACHE[key]
    entry = read_manifest(folder).get(name)
    if entry is None:
        raise EvaluatorError(
            f"Evaluator {name!r} is not in {folder / MANIFEST}. Train the evaluators with "
            f"`{REBUILD}` (a few minutes on a CPU), or point VIDGEN_EVALUATORS at a folder "
            f"that holds them.")
    path = folder / entry["file"]
    if not path.exists():
        raise EvaluatorError(f"Weights of evaluator {name!r} are missing: {path}. Rebuild them "
                             f"with `{REBUILD} --only {name}`.")
    found = sha256(path)
    if found != entry["sha256"]:
        raise EvaluatorError(
            f"Weights of evaluator {name!r} ({path}) do not match the manifest: SHA-256 "
            f"{found[:12]}... instead of {entry['sha256'][:12]}.... The file was changed or "
            f"damaged; restore it from git or rebuild it with `{REBUILD} --only {name}`.")
    # an instrument measures the same under any global policy (the gpu profile's
    # mixed_float16 is still set while a run scores its samples): built in float32
    import keras

    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        model = getattr(evaluators, entry["class"]).from_config(entry["config"])
        model(_dummy(entry["input_shape"]))
    finally:
        keras.config.set_dtype_policy(policy)
    model.load_weights(str(path))
    model.trainable = False
    _CACHE[key] = model
    return model


def _dummy(shape):
    import numpy as np

    return np.zeros([1] + [int(s) for s in shape[1:]], np.float32)

"""Where the trained evaluators live, and loading them with their checksums.

The weights ship inside the package, in ``vidgen_tf/weights/evaluators/`` beside
``manifest.json``, which records for each evaluator its class, its configuration, its weights
file, the file's SHA-256, its held-out accuracy and how it was trained. They are package data:
a clone, an editable install, a wheel and a ``pip install "vidgen_tf @ git+URL"`` (Colab) all
carry them. ``load_evaluator(name)`` checks the SHA-256 before loading: a missing or altered
file is an error that says how to rebuild it.

``$VIDGEN_EVALUATORS`` points at another folder with the same layout (evaluators you trained
yourself with ``python -m vidgen_tf.metrics.train_evaluators --out FOLDER``).

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import os
from pathlib import Path

from vidgen_tf.weights import (MANIFEST, WeightsError, checked_file, sha256,  # noqa: F401
                               shipped_dir, write_entry)
from vidgen_tf.weights import read_manifest as _read_manifest

NAMES = ("digit_classifier", "digit_features", "shape_features")
REBUILD = "python -m vidgen_tf.metrics.train_evaluators"


class EvaluatorError(WeightsError):
    """An evaluator's weights are missing or do not match their recorded checksum."""


def evaluator_dir() -> Path:
    """The folder that holds ``manifest.json`` and the weights: ``$VIDGEN_EVALUATORS`` if
    set, else the package's own ``weights/evaluators``."""
    if os.environ.get("VIDGEN_EVALUATORS"):
        return Path(os.environ["VIDGEN_EVALUATORS"])
    return shipped_dir("evaluators")


def read_manifest(folder=None) -> dict:
    """The manifest of an evaluator folder (``evaluator_dir()`` when None; empty if none)."""
    return _read_manifest(folder or evaluator_dir())


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
            f"`{REBUILD}` (about twenty minutes on two CPU cores), or point VIDGEN_EVALUATORS at a folder "
            f"that holds them.")
    path = checked_file(folder, f"evaluator {name!r}", entry,
                        f"Restore it from git or rebuild it with `{REBUILD} --only {name}`.",
                        EvaluatorError)
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

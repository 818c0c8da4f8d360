"""Checkpoint and resume (lesson 01).

A run folder holds numbered checkpoints, ``checkpoints/ckpt-000012/`` for the state after
epoch 12, each with:

- ``model.weights.h5``: ``model.save_weights``: every layer's weights **and** the state of
  every optimizer the model holds (moments, step counter, loss scale);
- ``random.npz``: the states of the model's random seed generators (not in the weights file),
  so that a resumed run draws the same noise as an uninterrupted one;
- ``extra.npz``: the state of objects that keep their own (e.g. ``WeightsEMA``);
- ``state.json``: the epoch and the optimizer step.

A checkpoint is written into a temporary folder that is renamed into place when complete,
so a run killed at any moment (even with SIGKILL, mid-write) leaves the previous checkpoint
intact. The newest ``keep`` are kept. ``restore_latest`` loads the newest one that reads
back, falling back to an older one if the newest is damaged.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings

import numpy as np

import keras

CHECKPOINT_PATTERN = re.compile(r"^ckpt-(\d{6})$")


def _seed_states(model):
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


def _optimizer_step(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def list_checkpoints(directory):
    """``[(epoch, path), ...]`` of the complete checkpoints in ``directory``, oldest first."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        match = CHECKPOINT_PATTERN.match(name)
        path = os.path.join(directory, name)
        if match and os.path.isfile(os.path.join(path, "state.json")):
            found.append((int(match.group(1)), path))
    return sorted(found)


def save_checkpoint(model, directory, epoch, extra=None, keep=2):
    """Write the state after ``epoch`` epochs to ``directory/ckpt-EEEEEE`` atomically.

    Args:
        model: a built, compiled Keras model.
        directory: str. The checkpoints folder (created when missing).
        epoch: int. Epochs completed.
        extra: optional dict ``{name: object}`` of objects with ``get_state() -> dict of
            arrays`` and ``set_state(dict)``.
        keep: int. How many checkpoints to keep.

    Returns:
        The checkpoint's path.
    """
    os.makedirs(directory, exist_ok=True)
    final = os.path.join(directory, f"ckpt-{int(epoch):06d}")
    temporary = os.path.join(directory, f".tmp-ckpt-{int(epoch):06d}-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    os.makedirs(temporary)
    model.save_weights(os.path.join(temporary, "model.weights.h5"))
    np.savez(os.path.join(temporary, "random.npz"),
             *[keras.ops.convert_to_numpy(v) for v in _seed_states(model)])
    arrays = {}
    for name, owner in (extra or {}).items():
        arrays.update({f"{name}/{key}": value for key, value in owner.get_state().items()})
    np.savez(os.path.join(temporary, "extra.npz"), **arrays)
    with open(os.path.join(temporary, "state.json"), "w") as f:
        json.dump({"epoch": int(epoch), "step": _optimizer_step(model)}, f)
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(temporary, final)
    for _, old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def _load(model, path, extra):
    model.load_weights(os.path.join(path, "model.weights.h5"))
    with np.load(os.path.join(path, "random.npz")) as saved:
        states = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    seeds = _seed_states(model)
    if len(states) != len(seeds):
        raise ValueError(f"{path}: {len(states)} random states saved, the model has "
                         f"{len(seeds)}.")
    for variable, value in zip(seeds, states):
        variable.assign(value)
    with np.load(os.path.join(path, "extra.npz")) as saved:
        for name, owner in (extra or {}).items():
            prefix = f"{name}/"
            owner.set_state({key[len(prefix):]: saved[key] for key in saved.files
                             if key.startswith(prefix)})
    with open(os.path.join(path, "state.json")) as f:
        return json.load(f)


def restore_latest(model, directory, extra=None):
    """Load the newest readable checkpoint of ``directory`` into ``model``.

    The model must be built and compiled with its optimizers built (their variables must
    exist to receive the saved values).

    Returns:
        The saved ``state.json`` dict (``{"epoch": ..., "step": ...}``), or None when there
        is no checkpoint.

    Raises:
        RuntimeError: when checkpoints exist but none can be read.
    """
    found = list_checkpoints(directory)
    errors = []
    for epoch, path in reversed(found):
        try:
            return _load(model, path, extra)
        except (OSError, ValueError, KeyError) as error:
            errors.append(f"{path}: {error}")
            warnings.warn(f"Checkpoint {path} could not be read ({error}); trying an older "
                          f"one.", stacklevel=2)
    if errors:
        raise RuntimeError("No checkpoint could be read:\n  " + "\n  ".join(errors) +
                           "\nDelete the run folder to start again.")
    return None


def model_is_finite(model):
    """Whether every weight of ``model`` is finite (no NaN or Inf)."""
    return all(np.all(np.isfinite(keras.ops.convert_to_numpy(v))) for v in model.weights)

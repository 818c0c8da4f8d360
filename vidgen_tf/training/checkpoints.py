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
back whole, all or nothing: every file is checked before the model is touched, and a damaged
checkpoint is skipped, with a warning naming the file, for the one before it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
import zipfile
import zlib

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


class CheckpointError(RuntimeError):
    """A checkpoint cannot be read back: the message names the file and what is wrong."""


# what a damaged file raises: np.load and zipfile on truncated archives (BadZipFile, EOFError,
# zlib.error), h5py on truncated or foreign files (OSError), JSON on bad text (ValueError)
_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def _read_state(path, epoch):
    """The validated ``state.json`` of the checkpoint ``path`` (folder of ``epoch``)."""
    file = os.path.join(path, "state.json")
    try:
        with open(file) as f:
            state = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CheckpointError(f"{file} cannot be read as JSON ({error}).") from error
    layout = '{"epoch": <int>, "step": <int or null>}'
    if not isinstance(state, dict) or not {"epoch", "step"} <= set(state):
        raise CheckpointError(f"{file} must hold {layout}; it holds {state!r}.")
    epoch_ok = (isinstance(state["epoch"], int) and not isinstance(state["epoch"], bool) and
                state["epoch"] >= 0)
    step = state["step"]
    step_ok = step is None or (isinstance(step, int) and not isinstance(step, bool) and
                               step >= 0)
    if not (epoch_ok and step_ok):
        raise CheckpointError(f"{file} must hold {layout}; it holds {state!r}.")
    if state["epoch"] != epoch:
        raise CheckpointError(f"{file} says epoch {state['epoch']}, but its folder is the "
                              f"checkpoint of epoch {epoch}.")
    return state


def _check_weights_file(path):
    """Open ``model.weights.h5`` and read every array in it (a truncated file fails here)."""
    import h5py

    file = os.path.join(path, "model.weights.h5")
    count = 0

    def read(name, item):           # read each array and let it go: one array in memory
        nonlocal count
        if isinstance(item, h5py.Dataset):
            item[()]
            count += 1

    try:
        with h5py.File(file, "r") as h5:
            h5.visititems(read)
    except _READ_ERRORS + (RuntimeError,) as error:
        raise CheckpointError(f"{file} cannot be read as an HDF5 weights file "
                              f"({type(error).__name__}: {error}).") from error
    if not count:
        raise CheckpointError(f"{file} holds no weights.")


def _read_npz(file):
    """Every array of the ``.npz`` file ``file``, read into memory (checks each CRC)."""
    try:
        with np.load(file, allow_pickle=False) as saved:
            return {key: np.array(saved[key]) for key in saved.files}
    except _READ_ERRORS as error:
        raise CheckpointError(f"{file} cannot be read as an .npz archive "
                              f"({type(error).__name__}: {error}).") from error


def _read_seed_states(path, model):
    """The saved seed-generator states of ``random.npz``, one per seed state of ``model``."""
    file = os.path.join(path, "random.npz")
    saved = _read_npz(file)
    seeds = _seed_states(model)
    names = [f"arr_{i}" for i in range(len(seeds))]
    if sorted(saved) != sorted(names):
        raise CheckpointError(f"{file} holds {len(saved)} random states {sorted(saved)}; the "
                              f"model has {len(seeds)} seed generator(s), so {names} were "
                              f"expected.")
    states = [saved[name] for name in names]
    for i, (variable, value) in enumerate(zip(seeds, states)):
        if tuple(value.shape) != tuple(variable.shape):
            raise CheckpointError(f"{file}: random state arr_{i} has shape {value.shape}, "
                                  f"the model's seed generator {variable.path} has "
                                  f"{tuple(variable.shape)}.")
    return states


def _current_states(extra):
    """``{name: state}`` of the ``extra`` objects that can report their state now (None for
    one that cannot yet, e.g. an EMA whose model is not set)."""
    current = {}
    for name, owner in extra.items():
        try:
            current[name] = {key: np.array(value) for key, value in owner.get_state().items()}
        except Exception:           # noqa: BLE001  an object not ready to report its state
            current[name] = None
    return current


def _read_extra_states(path, extra, current):
    """``{name: state}`` for each object of ``extra``, from ``extra.npz``, checked against the
    keys and shapes of ``current`` (``_current_states``) where it is known."""
    file = os.path.join(path, "extra.npz")
    saved = _read_npz(file)
    states = {}
    for name in extra:
        prefix = f"{name}/"
        state = {key[len(prefix):]: value for key, value in saved.items()
                 if key.startswith(prefix)}
        if not state:
            raise CheckpointError(f"{file} holds no state for {name!r} (it holds "
                                  f"{sorted(saved) or 'nothing'}).")
        expected = current.get(name)
        if expected is not None:
            if set(state) != set(expected):
                raise CheckpointError(
                    f"{file} holds {len(state)} arrays for {name!r}, the run's {name!r} has "
                    f"{len(expected)} (saved {sorted(state)}, expected {sorted(expected)}).")
            for key, value in state.items():
                if np.shape(value) != np.shape(expected[key]):
                    raise CheckpointError(
                        f"{file}: {name}/{key} has shape {np.shape(value)}, expected "
                        f"{np.shape(expected[key])}.")
        states[name] = state
    return states


def _load(model, path, extra, epoch):
    """Load the checkpoint ``path`` into ``model`` and ``extra``, all or nothing.

    Every file is read and checked before the model is touched; if loading still fails
    (weights that do not fit this model), the model, its seed states and the ``extra``
    objects are put back as they were.

    Returns:
        The checkpoint's ``state.json`` dict.

    Raises:
        CheckpointError: naming the file and what is wrong with it.
    """
    import tempfile

    extra = extra or {}
    state = _read_state(path, epoch)
    _check_weights_file(path)
    seed_values = _read_seed_states(path, model)
    current = _current_states(extra)
    extra_states = _read_extra_states(path, extra, current)

    seeds = _seed_states(model)
    with tempfile.TemporaryDirectory(prefix="vidgen-restore-") as scratch:
        backup = os.path.join(scratch, "before.weights.h5")
        model.save_weights(backup)
        seeds_before = [keras.ops.convert_to_numpy(v) for v in seeds]
        try:
            model.load_weights(os.path.join(path, "model.weights.h5"))
            for variable, value in zip(seeds, seed_values):
                variable.assign(value)
            for name, owner in extra.items():
                owner.set_state(extra_states[name])
        except Exception as error:
            model.load_weights(backup)
            for variable, value in zip(seeds, seeds_before):
                variable.assign(value)
            for name, owner in extra.items():
                if current[name] is not None:
                    owner.set_state(current[name])
            raise CheckpointError(
                f"{path} does not fit this model; nothing was loaded from it "
                f"({type(error).__name__}: {error}).") from error
    return state


def restore_latest(model, directory, extra=None):
    """Load the newest good checkpoint of ``directory`` into ``model``, all or nothing.

    Each checkpoint is read and checked whole (``model.weights.h5`` readable; ``random.npz``
    with one state per seed generator of the model; ``extra.npz`` with a state for each
    object of ``extra``; ``state.json`` holding ``{"epoch": int, "step": int or null}``)
    before anything is loaded into the model. A damaged checkpoint is skipped with a warning
    that names the file and what is wrong, and the one before it is tried.

    The model must be built and compiled with its optimizers built (their variables must
    exist to receive the saved values).

    Args:
        model: a built, compiled Keras model.
        directory: str. The checkpoints folder.
        extra: optional dict ``{name: object}`` as given to ``save_checkpoint``.

    Returns:
        The saved ``state.json`` dict (``{"epoch": ..., "step": ...}``), or None when there
        is no checkpoint.

    Raises:
        CheckpointError: (a ``RuntimeError``) when checkpoints exist but none can be read;
            the model is then left as it was.
    """
    found = list_checkpoints(directory)
    errors = []
    for n, (epoch, path) in enumerate(reversed(found)):
        try:
            return _load(model, path, extra, epoch)
        except CheckpointError as error:
            errors.append(str(error))
            then = "trying the one before it" if n + 1 < len(found) else "no older one is left"
            warnings.warn(f"Checkpoint {path} is skipped: {error} ({then}).", stacklevel=2)
    if errors:
        raise CheckpointError(
            f"No checkpoint of {directory} could be read ({'; '.join(errors)}). Delete "
            f"{directory} (or the whole run folder) to start the run again.")
    return None


def model_is_finite(model):
    """Whether every weight of ``model`` is finite (no NaN or Inf)."""
    return all(np.all(np.isfinite(keras.ops.convert_to_numpy(v))) for v in model.weights)

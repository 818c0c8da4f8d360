"""Restoring a checkpoint is all or nothing: a damaged file in the newest checkpoint is found
before the model is touched, named in a warning, and the checkpoint before it is loaded."""

import json
import os
import re
import warnings

import numpy as np
import pytest

import keras
from tests.training import tiny_models
from vidgen_tf.training import WeightsEMA, restore_latest, save_checkpoint
from vidgen_tf.training.checkpoints import CheckpointError, _seed_states


def _model(seed=0, latent_channels=2):
    from vidgen_tf.models import VideoVAE

    keras.utils.set_random_seed(seed)
    model = VideoVAE((4, 16, 16, 1), latent_channels=latent_channels, widths=(8, 16),
                     patch=(1, 2, 2), groups=4)
    model.build()
    tiny_models.compile_for_test(model, optimizer="adam")
    model.optimizer.build(model.trainable_variables)
    return model


def _state(model):
    """Every value a checkpoint restores: weights, optimizer variables, seed states."""
    return [np.array(v) for v in
            list(model.weights) + list(model.optimizer.variables) + _seed_states(model)]


def _change(model, amount):
    for variable in list(model.trainable_weights) + _seed_states(model):
        variable.assign(variable + keras.ops.cast(amount, variable.dtype))
    model.optimizer.iterations.assign(model.optimizer.iterations + amount)


def _assert_same(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def two_checkpoints(tmp_path):
    """Checkpoints of epochs 1 and 2 with different weights (and an EMA as extra state);
    returns ``(folder, state after epoch 1, state after epoch 2)``."""
    model = _model()
    ema = WeightsEMA(0.5)
    ema.set_model(model)
    _change(model, 1)
    save_checkpoint(model, str(tmp_path), epoch=1, extra={"ema": ema})
    first = _state(model)
    _change(model, 2)
    save_checkpoint(model, str(tmp_path), epoch=2, extra={"ema": ema})
    second = _state(model)
    assert not np.array_equal(first[0], second[0])      # the two checkpoints differ
    return tmp_path, first, second


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def _wrong_count(path):
    np.savez(path, np.zeros(2, "uint32"), np.zeros(2, "uint32"))


def _wrong_layout(path):
    path.write_text(json.dumps([2, 4]))


@pytest.mark.parametrize("name, damage, reason", [
    ("random.npz", _truncate, "cannot be read as an .npz archive"),
    ("extra.npz", _truncate, "cannot be read as an .npz archive"),
    ("model.weights.h5", _truncate, "cannot be read as an HDF5 weights file"),
    ("random.npz", _wrong_count, "holds 2 random states.*the model has 1 seed generator"),
    ("state.json", _wrong_layout, r'must hold \{"epoch": <int>, "step": <int or null>\}; it '
                                  r"holds \[2, 4\]"),
])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(two_checkpoints, name,
                                                                    damage, reason):
    folder, first, second = two_checkpoints
    damage(folder / "ckpt-000002" / name)
    model = _model(seed=1)
    ema = WeightsEMA(0.5)
    ema.set_model(model)
    with pytest.warns(UserWarning) as caught:
        state = restore_latest(model, str(folder), extra={"ema": ema})
    assert state["epoch"] == 1
    message = " ".join(str(w.message) for w in caught)
    assert os.path.join(str(folder), "ckpt-000002", name) in message
    assert re.search(reason, message), message
    # nothing of the damaged checkpoint reached the model: it holds epoch 1 exactly
    _assert_same(_state(model), first)
    assert int(model.optimizer.iterations) == 1


def test_without_a_good_checkpoint_the_model_is_left_as_it_was(tmp_path):
    # checkpoints whose files all read, but of a model with a wider latent: Keras loads
    # the layers that fit before it fails on the others, and the model must be put back
    save_checkpoint(_model(latent_channels=4), str(tmp_path), epoch=1)
    save_checkpoint(_model(latent_channels=4), str(tmp_path), epoch=2)
    model = _model(seed=3)
    _change(model, 1)
    before = _state(model)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        with pytest.raises(CheckpointError) as error:
            restore_latest(model, str(tmp_path))
    message = str(error.value)
    assert f"No checkpoint of {tmp_path} could be read" in message
    assert "ckpt-000002 does not fit this model" in message and "ckpt-000001" in message
    assert "Delete" in message
    _assert_same(_state(model), before)


def test_a_state_json_with_the_wrong_layout_is_named(tmp_path):
    model = _model()
    path = save_checkpoint(model, str(tmp_path), epoch=3)
    with open(os.path.join(path, "state.json"), "w") as f:
        json.dump({"epoch": "three", "step": 6}, f)
    with pytest.warns(UserWarning, match="no older one is left"):
        with pytest.raises(CheckpointError, match=r"state.json must hold .*'three'"):
            restore_latest(model, str(tmp_path))
    with open(os.path.join(path, "state.json"), "w") as f:
        json.dump({"epoch": 4, "step": 6}, f)              # the folder says epoch 3
    with pytest.warns(UserWarning, match=r"state.json says epoch 4.*epoch 3"):
        with pytest.raises(CheckpointError):
            restore_latest(model, str(tmp_path))


def test_extra_state_missing_or_of_another_size_is_named(tmp_path):
    model = _model()
    save_checkpoint(model, str(tmp_path), epoch=1)          # saved without an EMA
    ema = WeightsEMA(0.5)
    ema.set_model(model)
    with pytest.warns(UserWarning, match=r"extra.npz holds no state for 'ema'"):
        with pytest.raises(CheckpointError):
            restore_latest(model, str(tmp_path), extra={"ema": ema})
    state = {f"ema/{k}": v for k, v in ema.get_state().items()}
    state.pop("ema/0")
    np.savez(tmp_path / "ckpt-000001" / "extra.npz", **state)
    with pytest.warns(UserWarning, match=r"extra.npz holds \d+ arrays for 'ema', the run's "
                                         r"'ema' has \d+"):
        with pytest.raises(CheckpointError):
            restore_latest(model, str(tmp_path), extra={"ema": ema})

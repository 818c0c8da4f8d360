"""The fused ConvLSTM cell: Keras' ConvLSTM2D with repacked weights, its forget bias, its
config and errors. Its reload in a fresh process is tested through ConvLSTMPredictor
(tests/models/test_prediction.py)."""

import numpy as np
import pytest

import keras
from vidgen_tf.layers import ConvLSTMCell

RNG = np.random.default_rng(0)


def unroll(cell, x):
    h, c = cell.initial_state(x[:, 0])
    states = []
    for t in range(x.shape[1]):
        h, c = cell(x[:, t], (h, c))
        states.append(np.asarray(h))
    return np.stack(states, axis=1)


@pytest.mark.parametrize("kernel_size", [1, 3])
def test_the_fused_cell_is_keras_convlstm2d_with_its_weights_repacked(kernel_size):
    x = RNG.normal(size=(2, 5, 6, 7, 3)).astype("float32")
    reference = keras.layers.ConvLSTM2D(4, kernel_size, padding="same", return_sequences=True)
    expected = np.asarray(reference(x))
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in reference.weights)
    cell = ConvLSTMCell(4, kernel_size)
    cell.build(x.shape[:1] + x.shape[2:])
    cell.set_weights([np.concatenate([kernel, recurrent_kernel], axis=2), bias])
    # the same sums in another order (one convolution over [x, h] against two): float32
    # rounding of a few dozen products per output, over 5 steps
    np.testing.assert_allclose(unroll(cell, x), expected, atol=1e-5)


def test_the_forget_gate_starts_at_one_and_the_state_keeps_its_size():
    cell = ConvLSTMCell(3, 3)
    cell.build((None, 4, 4, 2))
    bias = np.asarray(cell.bias)
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])  # i, f, g, o
    cell = ConvLSTMCell(3, 3, unit_forget_bias=False)
    cell.build((None, 4, 4, 2))
    np.testing.assert_array_equal(np.asarray(cell.bias), 0)
    h, c = cell(np.ones((2, 4, 4, 2), "float32"), cell.initial_state(np.ones((2, 4, 4, 2))))
    assert h.shape == c.shape == (2, 4, 4, 3)


def test_one_step_by_hand_with_a_1x1_kernel():
    """A 1x1 kernel makes the cell a per-pixel LSTM: its gates by hand in NumPy."""
    cell = ConvLSTMCell(2, 1)
    cell.build((None, 3, 3, 1))
    w = RNG.normal(size=(1, 1, 3, 8)).astype("float32")
    b = RNG.normal(size=(8,)).astype("float32")
    cell.set_weights([w, b])
    x = RNG.normal(size=(1, 3, 3, 1)).astype("float32")
    h = RNG.normal(size=(1, 3, 3, 2)).astype("float32")
    c = RNG.normal(size=(1, 3, 3, 2)).astype("float32")
    z = np.concatenate([x, h], axis=-1) @ w[0, 0] + b
    sig = lambda a: 1 / (1 + np.exp(-a))                                # noqa: E731
    i, f, g, o = np.split(z, 4, axis=-1)
    c_new = sig(f) * c + sig(i) * np.tanh(g)
    h_new = sig(o) * np.tanh(c_new)
    got_h, got_c = cell(x, (h, c))
    np.testing.assert_allclose(got_c, c_new, atol=1e-6)                # float32, one step
    np.testing.assert_allclose(got_h, h_new, atol=1e-6)


def test_config_round_trip_and_errors():
    cell = ConvLSTMCell(5, 3, unit_forget_bias=False, name="cell")
    config = cell.get_config()
    assert ConvLSTMCell.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="kernel_size must be a positive odd integer"):
        ConvLSTMCell(4, 2)
    with pytest.raises(ValueError, match="filters must be a positive integer"):
        ConvLSTMCell(0)

"""Recurrent building blocks over feature maps: a fused ConvLSTM cell (lesson 04).

A ConvLSTM (Shi et al. 2015) is an LSTM whose state is a feature map and whose matrix
products are convolutions, so that a pixel's memory is updated from its neighbourhood. With
``x_t (B, H, W, C_in)`` and the state ``(h_{t-1}, c_{t-1})``, each ``(B, H, W, F)``::

    [i, f, g, o] = conv([x_t, h_{t-1}]) + b          one convolution, 4 F output channels
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(c_t)

Keras' ``ConvLSTM2D`` runs eight convolutions per step (the input's and the state's part of
each gate apart); convolving the concatenation ``[x_t, h_{t-1}]`` once gives the same sums
(a convolution is linear in its input channels) with one kernel call. The gates are in Keras'
order (input, forget, candidate, output), so a ``ConvLSTM2D(padding="same")``'s weights
repacked as ``concat([kernel, recurrent_kernel], axis=2)`` run unchanged in this cell.

Tensors are channels-last feature maps, float; the layer uses ``keras.ops`` and follows the
Keras layer contract (constructor arguments kept, ``get_config``, registered for saving).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="vidgen_tf")
class ConvLSTMCell(layers.Layer):
    """One step of a ConvLSTM with one fused convolution for its four gates.

    Args:
        filters: int. ``F``, the channels of the hidden and cell states.
        kernel_size: int (odd). The convolution's square kernel; padding is "same", so the
            state keeps the input's height and width.
        unit_forget_bias: bool. Start the forget gate's bias at 1 (Jozefowicz et al. 2015:
            the cell keeps its memory at first instead of halving it every step), as Keras'
            ``ConvLSTM2D`` does; the other biases start at 0.

    Call:
        ``cell(x, (h, c)) -> (h_new, c_new)``: ``x (B, H, W, C_in)``, ``h`` and ``c``
        ``(B, H, W, F)``. ``cell.initial_state(x)`` gives zeros of the right shape.

    Example:
        cell = ConvLSTMCell(32, 3)
        h, c = cell.initial_state(frames[:, 0])
        for t in range(frames.shape[1]):
            h, c = cell(frames[:, t], (h, c))
    """

    def __init__(self, filters, kernel_size=3, unit_forget_bias=True, **kwargs):
        super().__init__(**kwargs)
        if int(filters) != filters or filters < 1:
            raise ValueError(f"ConvLSTMCell: filters must be a positive integer, got "
                             f"{filters!r}.")
        if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"ConvLSTMCell: kernel_size must be a positive odd integer (the "
                             f"state keeps its size with 'same' padding), got {kernel_size!r}.")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.unit_forget_bias = bool(unit_forget_bias)

    def build(self, inputs_shape, states_shape=None):
        in_channels = inputs_shape[-1]
        if in_channels is None:
            raise ValueError("ConvLSTMCell: the input's channel count must be known.")
        f, k = self.filters, self.kernel_size
        # (k, k, C_in + F, 4 F): the input's rows first, then the hidden state's
        self.kernel = self.add_weight(name="kernel", shape=(k, k, in_channels + f, 4 * f),
                                      initializer="glorot_uniform")
        forget = 1.0 if self.unit_forget_bias else 0.0

        def bias_init(shape, dtype=None):
            bias = np.zeros(shape, "float32")
            bias[f:2 * f] = forget                           # gates: input, forget, g, output
            return ops.convert_to_tensor(bias, dtype=dtype)

        self.bias = self.add_weight(name="bias", shape=(4 * f,), initializer=bias_init)

    def initial_state(self, inputs):
        """Zero ``(h, c)`` for a batch like ``inputs (B, H, W, C_in)``."""
        shape = ops.shape(inputs)
        zeros = ops.zeros((shape[0], shape[1], shape[2], self.filters), dtype=self.compute_dtype)
        return zeros, zeros

    def call(self, inputs, states):
        h, c = states
        z = ops.conv(ops.concatenate([inputs, ops.cast(h, inputs.dtype)], axis=-1),
                     ops.cast(self.kernel, inputs.dtype), padding="same")
        z = z + ops.cast(self.bias, z.dtype)
        i, f, g, o = ops.split(z, 4, axis=-1)
        c_new = ops.sigmoid(f) * ops.cast(c, z.dtype) + ops.sigmoid(i) * ops.tanh(g)
        h_new = ops.sigmoid(o) * ops.tanh(c_new)
        return h_new, c_new

    def compute_output_spec(self, inputs, states):
        shape = tuple(inputs.shape[:-1]) + (self.filters,)
        spec = keras.KerasTensor(shape, dtype=self.compute_dtype)
        return spec, spec

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": self.kernel_size, "unit_forget_bias": self.unit_forget_bias}

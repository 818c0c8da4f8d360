"""Small weightless arithmetic layers: scale a tensor, sum over an axis (lesson 02).

What a ``keras.layers.Lambda`` would do in one line, as a named layer whose config saves and
reloads without executing Python code (a ``Lambda`` does not load under Keras' default
``safe_mode``). All layers use ``keras.ops`` and follow the Keras layer contract
(constructor arguments kept, ``get_config``, registered for saving).
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="vidgen_tf")
class Scale(layers.Layer):
    """Multiply by a constant: ``x * factor``.

    Args:
        factor: float.

    Example:
        # sigmoid outputs in [0, 1] -> positions in [0, 16] pixels
        Scale(16.0, name="positions")(path)
    """

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class ReduceSum(layers.Layer):
    """Sum over one axis: ``(B, k, d) -> (B, d)`` with ``axis=1``.

    Args:
        axis: int. The axis summed (not the batch axis, 0).

    Example:
        # the embeddings of a clip's objects (B, k, d) -> their bag (B, d)
        ReduceSum(axis=1)(vectors)
    """

    def __init__(self, axis=1, **kwargs):
        super().__init__(**kwargs)
        if int(axis) != axis or axis == 0:
            raise ValueError(f"ReduceSum: axis must be a non-zero integer (0 is the batch), "
                             f"got {axis!r}.")
        self.axis = int(axis)

    def call(self, inputs):
        return ops.sum(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

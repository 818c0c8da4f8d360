"""Position embeddings of a token grid (lesson 05).

A VQ-VAE turns a clip into a ``(t, h, w)`` grid of tokens, flattened time-major (all of frame
slice 0, row by row, then slice 1, ...) into one sequence for a transformer. Position
``p = (i * h + j) * w + k`` gets the sum of one learned vector per axis, ``T[i] + H[j] +
W[k]``: ``t + h + w`` vectors instead of ``t * h * w``, and a token knows its row and column
whatever the slice (VideoGPT's ``AddBroadcastPosEmbed`` concatenates per-axis vectors; a sum
needs no width divisible by 3).
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="vidgen_tf")
class GridPositionEmbedding(layers.Layer):
    """Add per-axis position vectors of a flattened ``(t, h, w)`` grid to a sequence.

    Args:
        grid: ``(t, h, w)``.
        dim: int. Width of the sequence.

    Call arguments:
        inputs: ``(B, L, dim)`` with ``L <= t * h * w``: positions ``0 .. L-1`` (or, with
            ``index``, ``(B, 1, dim)`` at position ``index``).
        index: optional int or scalar tensor.

    Returns:
        ``(B, L, dim)``: inputs plus their positions' vectors.
    """

    def __init__(self, grid, dim, **kwargs):
        super().__init__(**kwargs)
        self.grid = tuple(int(n) for n in grid)
        if len(self.grid) != 3 or min(self.grid) < 1:
            raise ValueError(f"GridPositionEmbedding: grid must be three positive ints "
                             f"(t, h, w), got {grid!r}.")
        self.dim = int(dim)

    def build(self, input_shape):
        init = keras.initializers.RandomNormal(stddev=0.02)
        self.tables = [self.add_weight(name=f"{axis}_positions", shape=(n, self.dim),
                                       initializer=init)
                       for axis, n in zip("thw", self.grid)]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def table(self):
        """All positions' vectors, ``(t * h * w, dim)``, time-major."""
        t, h, w = self.grid
        tt, th, tw = (ops.convert_to_tensor(x) for x in self.tables)
        full = tt[:, None, None, :] + th[None, :, None, :] + tw[None, None, :, :]
        return ops.reshape(full, (t * h * w, self.dim))

    def call(self, inputs, index=None):
        table = ops.cast(self.table(), inputs.dtype)
        if index is not None:
            return inputs + ops.take(table, ops.cast(index, "int32"), axis=0)[None, None, :]
        length = inputs.shape[1]
        if length is not None and length > table.shape[0]:
            raise ValueError(f"GridPositionEmbedding: a sequence of {length} positions is "
                             f"longer than the grid {self.grid} ({table.shape[0]}).")
        return inputs + table[None, :length]

    def get_config(self):
        return {**super().get_config(), "grid": self.grid, "dim": self.dim}

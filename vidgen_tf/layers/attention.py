"""Causal self-attention with a key-value cache, and the transformer block made of it
(lesson 05).

Tensors are sequences ``(batch, length, dim)``. A decoder-only transformer predicts token
``i`` from tokens ``< i``; in training all positions are computed at once under a causal
mask, in sampling one position at a time. The *key-value cache* keeps the keys and values of
the positions already computed, so a step projects only the new token: the work per step no
longer grows with the length (apart from reading the cache).

The mask is built here, never by ``use_causal_mask``: Keras aligns that mask top-left (query
``i`` sees keys ``j <= i``), which is right only when queries and keys start together. A
cached step has one query, at position ``index``, and a cache of ``S`` keys: it must see keys
``j <= index``, but the top-left mask's single row lets it see key 0 alone. ``causal_mask``
offsets the rows by the cache index (as KerasHub's ``compute_causal_mask``), so one function
serves training (``index`` 0) and the cached step.
"""

from __future__ import annotations

import keras
from keras import layers, ops


def causal_mask(query_length, key_length, cache_index=0):
    """``mask[i, j] = (i + cache_index) >= j``: query ``i`` (at position ``i + cache_index``)
    may attend to key ``j``.

    Args:
        query_length, key_length: int.
        cache_index: int or scalar tensor: the position of the first query.

    Returns:
        bool ``(query_length, key_length)``.
    """
    rows = ops.arange(query_length)[:, None] + ops.cast(cache_index, "int32")
    return rows >= ops.arange(key_length)[None, :]


@keras.saving.register_keras_serializable(package="vidgen_tf")
class CausalSelfAttention(layers.Layer):
    """Multi-head causal self-attention, with an optional key-value cache.

    Args:
        dim: int. Model width (``heads * head_dim``).
        heads: int. Must divide ``dim``.
        dropout: float. Dropout on the attention weights in training.

    Call arguments:
        inputs: ``(B, T, dim)``.
        cache: optional ``(B, 2, S, heads, dim / heads)``: keys and values of positions
            ``0 .. S-1`` (those not yet computed are ignored by the mask).
        cache_index: with ``cache``, the position of ``inputs``' first row: its keys and
            values are written there, and query ``i`` attends to keys ``<= cache_index + i``.
        training: bool.

    Returns:
        ``(B, T, dim)``; with a cache, ``(outputs, updated_cache)``.

    Attention weights are computed in float32 under mixed precision.
    """

    def __init__(self, dim, heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        if int(dim) % int(heads):
            raise ValueError(f"CausalSelfAttention: heads={heads} must divide dim={dim}.")
        self.dim = int(dim)
        self.heads = int(heads)
        self.head_dim = self.dim // self.heads
        self.dropout = float(dropout)
        policy = self.dtype_policy
        self.qkv = layers.Dense(3 * self.dim, name="qkv", dtype=policy)
        self.out = layers.Dense(self.dim, name="out", dtype=policy)
        self.attention_dropout = layers.Dropout(self.dropout, dtype=policy)

    def build(self, input_shape):
        self.qkv.build(input_shape)
        self.out.build(tuple(input_shape[:-1]) + (self.dim,))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.dim,)

    def call(self, inputs, cache=None, cache_index=None, training=None):
        t = inputs.shape[1]
        qkv = ops.reshape(self.qkv(inputs), (-1, t, 3, self.heads, self.head_dim))
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        if cache is not None:
            index = ops.cast(cache_index, "int32")
            start = [0, index, 0, 0]
            k = ops.slice_update(ops.cast(cache[:, 0], k.dtype), start, k)
            v = ops.slice_update(ops.cast(cache[:, 1], v.dtype), start, v)
            cache = ops.stack([k, v], axis=1)
            mask = causal_mask(t, k.shape[1], index)
        else:
            mask = causal_mask(t, t)
        scale = 1.0 / self.head_dim ** 0.5
        scores = ops.einsum("bthd,bshd->bhts", ops.cast(q, "float32") * scale,
                            ops.cast(k, "float32"))
        scores = ops.where(mask[None, None], scores, -1e9)
        weights = ops.softmax(scores, axis=-1)
        weights = self.attention_dropout(weights, training=training)
        mixed = ops.einsum("bhts,bshd->bthd", ops.cast(weights, v.dtype), v)
        outputs = self.out(ops.reshape(mixed, (-1, t, self.dim)))
        return outputs if cache is None else (outputs, cache)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads,
                "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class TransformerBlock(layers.Layer):
    """A pre-norm decoder block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))`` (GPT-2).

    Args:
        dim: int. Width.
        heads: int. Attention heads.
        mlp_ratio: int. The MLP's hidden width is ``mlp_ratio * dim`` (GELU).
        dropout: float. Dropout on the attention weights and on each residual branch.

    Call arguments:
        inputs: ``(B, T, dim)``; cache, cache_index, training: as ``CausalSelfAttention``.

    Returns:
        ``(B, T, dim)``; with a cache, ``(outputs, updated_cache)``.
    """

    def __init__(self, dim, heads, mlp_ratio=4, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = int(dim)
        self.heads = int(heads)
        self.mlp_ratio = int(mlp_ratio)
        self.dropout = float(dropout)
        policy = self.dtype_policy
        self.norm1 = layers.LayerNormalization(epsilon=1e-5, name="norm1", dtype=policy)
        self.attention = CausalSelfAttention(self.dim, self.heads, self.dropout,
                                             name="attention", dtype=policy)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5, name="norm2", dtype=policy)
        self.hidden = layers.Dense(self.mlp_ratio * self.dim, activation="gelu", name="hidden",
                                   dtype=policy)
        self.project = layers.Dense(self.dim, name="project", dtype=policy)
        self.drop = layers.Dropout(self.dropout, dtype=policy)

    def build(self, input_shape):
        for layer in (self.norm1, self.attention, self.norm2, self.hidden):
            layer.build(input_shape)
        self.project.build(tuple(input_shape[:-1]) + (self.mlp_ratio * self.dim,))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, cache=None, cache_index=None, training=None):
        attended = self.attention(self.norm1(inputs), cache=cache, cache_index=cache_index,
                                  training=training)
        if cache is not None:
            attended, cache = attended
        x = inputs + self.drop(attended, training=training)
        x = x + self.drop(self.project(self.hidden(self.norm2(x))), training=training)
        return x if cache is None else (x, cache)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads,
                "mlp_ratio": self.mlp_ratio, "dropout": self.dropout}

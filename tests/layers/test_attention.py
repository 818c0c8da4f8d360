"""Causal self-attention with a key-value cache, the transformer block and the grid position
embedding: the mask (and why Keras' top-left ``use_causal_mask`` is not it), the attention
against a NumPy reference, causality (with a planted leak that the check catches), the cached
path against the full pass, the Keras contract (harness) and errors."""

import numpy as np
import pytest

import keras
import vidgen_tf.layers.attention as attention_module
from tests.harness import dense_params, norm_params, run_model_test
from vidgen_tf.layers import (CausalSelfAttention, GridPositionEmbedding, TransformerBlock,
                              causal_mask)

RNG = np.random.default_rng(0)
B, T, DIM, HEADS = 2, 7, 16, 4


def sequence(batch=B, length=T, dim=DIM):
    return RNG.normal(size=(batch, length, dim)).astype("float32")


# --- the mask ---------------------------------------------------------------------------------

def test_the_mask_is_lower_triangular_and_a_cached_row_is_offset_by_its_index():
    for n in (1, 4, 9):
        np.testing.assert_array_equal(np.asarray(causal_mask(n, n)), np.tril(np.ones((n, n))))
    s = 6
    for i in range(s):
        row = np.asarray(causal_mask(1, s, i))
        assert row.shape == (1, s) and row.dtype == bool
        np.testing.assert_array_equal(row[0], np.arange(s) <= i)
    # a block of 2 queries at positions 3 and 4 against 6 keys
    np.testing.assert_array_equal(np.asarray(causal_mask(2, s, 3)),
                                  [np.arange(s) <= 3, np.arange(s) <= 4])
    # a tensor index works as an int (the compiled sampling step passes one)
    np.testing.assert_array_equal(
        np.asarray(causal_mask(1, s, keras.ops.convert_to_tensor(2, "int32")))[0],
        np.arange(s) <= 2)


def test_keras_top_left_causal_mask_is_wrong_for_a_cached_query():
    """Keras aligns ``use_causal_mask`` top-left: one query against S keys sees key 0 alone,
    whatever its position. The package's mask for that query at position i > 0 sees 0..i."""
    s = 5
    top_left = np.tril(np.ones((1, s), bool))
    np.testing.assert_array_equal(top_left[0], np.arange(s) == 0)
    for i in range(1, s):
        assert not np.array_equal(np.asarray(causal_mask(1, s, i)), top_left), i
    np.testing.assert_array_equal(np.asarray(causal_mask(1, s, 0)), top_left)
    # what Keras really does: MultiHeadAttention's weights for one query put all on key 0
    mha = keras.layers.MultiHeadAttention(num_heads=1, key_dim=4)
    query, keys = RNG.normal(size=(1, 1, 4)), RNG.normal(size=(1, s, 4))
    _, weights = mha(query.astype("float32"), keys.astype("float32"), use_causal_mask=True,
                     return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(weights)[0, 0, 0], np.arange(s) == 0, atol=1e-7)


# --- the attention against NumPy --------------------------------------------------------------

def reference_attention(x, qkv_kernel, qkv_bias, out_kernel, out_bias, heads):
    """Multi-head causal self-attention in float64 NumPy."""
    x = x.astype(np.float64)
    b, t, dim = x.shape
    d = dim // heads
    qkv = (x @ qkv_kernel + qkv_bias).reshape(b, t, 3, heads, d)
    q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]                # (b, t, heads, d)
    scores = np.einsum("bthd,bshd->bhts", q, k) / np.sqrt(d)
    scores = np.where(np.tril(np.ones((t, t), bool)), scores, -np.inf)
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    mixed = np.einsum("bhts,bshd->bthd", weights, v).reshape(b, t, dim)
    return mixed @ out_kernel + out_bias


def test_attention_matches_a_numpy_reference():
    layer = CausalSelfAttention(DIM, HEADS)
    x = sequence()
    layer.build(x.shape)
    weights = [RNG.normal(scale=0.3, size=w.shape).astype("float32")
               for w in (layer.qkv.kernel, layer.qkv.bias, layer.out.kernel, layer.out.bias)]
    layer.qkv.set_weights(weights[:2])
    layer.out.set_weights(weights[2:])
    expected = reference_attention(x, *weights, heads=HEADS)
    # float32 against float64: each output is a few sums of 16 products (projections) and of
    # up to 7 weighted values (the mix), each rounding at ~1e-7 relative on values of order 1
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)
    # the first position sees itself only: its output is out(v_0), whatever the scores
    v0 = (x[:, 0] @ weights[0] + weights[1])[:, 2 * DIM:]
    np.testing.assert_allclose(np.asarray(layer(x))[:, 0], v0 @ weights[2] + weights[3],
                               atol=1e-5)


# --- causality --------------------------------------------------------------------------------

def assert_causal(layer, x):
    """Changing the inputs after position i changes no output at or before i (and changes
    some output after it)."""
    base = np.asarray(layer(x))
    for i in range(x.shape[1] - 1):
        poked = x.copy()
        poked[:, i + 1:] += RNG.normal(size=poked[:, i + 1:].shape).astype("float32")
        out = np.asarray(layer(poked))
        # exact: a masked score is -1e9, its weight exp(-1e9 - max) is exactly 0.0 in
        # float32, and 0 * v adds exactly nothing; the other rows' projections see the same
        # numbers in the same order
        np.testing.assert_array_equal(out[:, :i + 1], base[:, :i + 1],
                                      err_msg=f"inputs after {i} changed outputs up to {i}")
        assert not np.allclose(out[:, i + 1:], base[:, i + 1:]), "later inputs were not read"


@pytest.mark.parametrize("make", [lambda: CausalSelfAttention(DIM, HEADS),
                                  lambda: TransformerBlock(DIM, HEADS, mlp_ratio=2)],
                         ids=["attention", "block"])
def test_no_output_depends_on_a_later_input_and_a_planted_leak_is_caught(make, monkeypatch):
    x = sequence()
    assert_causal(make(), x)
    # the leak: every query sees every key (what a forgotten mask does)
    monkeypatch.setattr(attention_module, "causal_mask",
                        lambda q, k, index=0: keras.ops.ones((q, k), "bool"))
    with pytest.raises(AssertionError, match="changed outputs"):
        assert_causal(make(), x)


# --- the cached path --------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: CausalSelfAttention(DIM, HEADS),
                                  lambda: TransformerBlock(DIM, HEADS, mlp_ratio=2)],
                         ids=["attention", "block"])
def test_one_position_at_a_time_with_the_cache_equals_the_full_pass(make):
    layer = make()
    x = sequence()
    full = np.asarray(layer(x))
    cache = np.zeros((B, 2, T, HEADS, DIM // HEADS), "float32")
    for i in range(T):
        out, cache = layer(x[:, i:i + 1], cache=cache, cache_index=i)
        assert out.shape == (B, 1, DIM) and cache.shape == (B, 2, T, HEADS, DIM // HEADS)
        # the same sums as the full pass, over the keys 0..i only and in another blocking
        # (one row against a matrix): float32 rounding
        np.testing.assert_allclose(np.asarray(out)[:, 0], full[:, i], atol=1e-5,
                                   err_msg=f"position {i}")
    # the cache ends holding every position's keys and values, as the full pass computes them
    attn = layer if isinstance(layer, CausalSelfAttention) else layer.attention
    inputs = x if attn is layer else np.asarray(layer.norm1(x))
    qkv = np.asarray(attn.qkv(inputs)).reshape(B, T, 3, HEADS, DIM // HEADS)
    np.testing.assert_allclose(np.asarray(cache), qkv[:, :, 1:].transpose(0, 2, 1, 3, 4),
                               atol=1e-5)


def test_a_block_of_queries_after_a_cached_prefix():
    """Positions 0..2 cached, then 3..6 at once (cache_index 3): the same as the full pass."""
    layer = CausalSelfAttention(DIM, HEADS)
    x = sequence()
    full = np.asarray(layer(x))
    cache = np.zeros((B, 2, T, HEADS, DIM // HEADS), "float32")
    first, cache = layer(x[:, :3], cache=cache, cache_index=0)
    rest, _ = layer(x[:, 3:], cache=cache, cache_index=3)
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), full, atol=1e-5)


# --- the Keras contract -----------------------------------------------------------------------

def attention_params(dim):
    return dense_params(dim, 3 * dim) + dense_params(dim, dim)


def test_harness_attention(tmp_path):
    run_model_test(CausalSelfAttention(DIM, HEADS), sequence(2, 5),
                   {"output": (2, 5, DIM)}, trainable_params=attention_params(DIM),
                   loss="mse", targets=sequence(2, 5), tmp_path=tmp_path)


def test_harness_block(tmp_path):
    params = (2 * norm_params(DIM) + attention_params(DIM) + dense_params(DIM, 2 * DIM)
              + dense_params(2 * DIM, DIM))
    run_model_test(TransformerBlock(DIM, HEADS, mlp_ratio=2), sequence(2, 5),
                   {"output": (2, 5, DIM)}, trainable_params=params, loss="mse",
                   targets=sequence(2, 5), tmp_path=tmp_path)


def test_harness_grid_positions(tmp_path):
    x = sequence(2, 10, 8)
    run_model_test(GridPositionEmbedding((2, 3, 4), 8), x, {"output": (2, 10, 8)},
                   trainable_params=(2 + 3 + 4) * 8, loss="mse", targets=sequence(2, 10, 8),
                   tmp_path=tmp_path)


# --- the grid position embedding --------------------------------------------------------------

def test_each_position_gets_the_sum_of_its_three_axis_vectors():
    t, h, w, dim = 2, 3, 4, 5
    layer = GridPositionEmbedding((t, h, w), dim)
    layer.build((None, t * h * w, dim))
    tables = [RNG.normal(size=(n, dim)).astype("float32") for n in (t, h, w)]
    layer.set_weights(tables)
    table = np.asarray(layer.table())
    assert table.shape == (t * h * w, dim)
    for i in range(t):
        for j in range(h):
            for k in range(w):
                p = (i * h + j) * w + k
                np.testing.assert_allclose(table[p], tables[0][i] + tables[1][j] + tables[2][k],
                                           atol=1e-6, err_msg=f"position {p} = ({i}, {j}, {k})")
    x = sequence(2, 15, dim)
    full = np.asarray(layer(x))
    np.testing.assert_allclose(full, x + table[None, :15], atol=1e-6)   # two float32 sums
    for p in (0, 7, 14, 23):
        one = RNG.normal(size=(2, 1, dim)).astype("float32")
        np.testing.assert_array_equal(np.asarray(layer(one, index=p)), one + table[p])
        if p < 15:                 # the index path adds the same row as the full path
            np.testing.assert_array_equal(np.asarray(layer(x[:, p:p + 1], index=p))[:, 0],
                                          full[:, p])


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"heads=3 must divide dim=10"):
        CausalSelfAttention(10, 3)
    with pytest.raises(ValueError, match=r"heads=3 must divide dim=10"):
        TransformerBlock(10, 3)
    for grid in ((2, 3), (2, 0, 4), (1, 2, 3, 4)):
        with pytest.raises(ValueError, match=r"grid must be three positive ints"):
            GridPositionEmbedding(grid, 8)
    layer = GridPositionEmbedding((2, 3, 4), 8)
    with pytest.raises(ValueError, match=r"a sequence of 25 positions is longer than the "
                                         r"grid \(2, 3, 4\) \(24\)"):
        layer(np.zeros((1, 25, 8), "float32"))

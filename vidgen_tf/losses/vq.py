"""Vector quantization as pure functions (lesson 05).

A vector quantizer replaces each encoder output ``z`` (a ``D``-vector) by the nearest of ``K``
codebook rows ``e_k``; the index ``k`` is the token a prior models. The pieces, each a function
of tensors that ``layers.VectorQuantizer`` calls and the lesson's exercises are checked
against:

- ``nearest_codes``: ``argmin_k |z - e_k|^2``, computed as ``|z|^2 - 2 z.e_k + |e_k|^2``.
- ``straight_through``: the quantized value forward, the identity backward (van den Oord et
  al. 2017): the encoder receives the decoder's gradient as if there were no rounding.
- ``commitment_loss``: ``mean |z - sg(e)|^2``, which keeps the encoder near its codes.
- ``ema_statistics`` / ``laplace_codebook`` / ``ema_codebook_step``: the codebook as an
  exponential moving average of
  the vectors assigned to each code (van den Oord et al. 2017, appendix A.1; decay 0.99 in
  Razavi et al. 2019), with Laplace smoothing of the counts (as Sonnet's
  ``VectorQuantizerEMA`` and VideoGPT do), so that a code with no vectors does not divide
  by zero; a code whose moving count falls below a threshold is restarted.
- ``perplexity`` and ``code_usage``: how many codes a batch of indices really uses.

Everything is computed in float32. Shapes: ``z (..., D)``, ``codebook (K, D)``, indices
``(...)`` int32.
"""

from __future__ import annotations

from keras import ops


def _flat(z):
    z = ops.cast(z, "float32")
    return ops.reshape(z, (-1, z.shape[-1]))


def squared_distances(z, codebook):
    """``|z_n - e_k|^2`` for every row ``z_n`` of ``z (N, D)`` and code ``e_k``: ``(N, K)``."""
    z = ops.cast(z, "float32")
    codebook = ops.cast(codebook, "float32")
    return (ops.sum(z * z, axis=1, keepdims=True) - 2.0 * ops.matmul(z, ops.transpose(codebook))
            + ops.sum(codebook * codebook, axis=1)[None, :])


def nearest_codes(z, codebook):
    """The index of the nearest codebook row to each vector of ``z``.

    Args:
        z: ``(..., D)``.
        codebook: ``(K, D)``.

    Returns:
        int32 ``(...)``: ``argmin_k |z - e_k|^2`` (on a tie, the backend's argmin picks).
    """
    if z.shape[-1] != codebook.shape[-1]:
        raise ValueError(f"nearest_codes: vectors of size {z.shape[-1]} cannot be compared "
                         f"with codes of size {codebook.shape[-1]}.")
    indices = ops.argmin(squared_distances(_flat(z), codebook), axis=1)
    return ops.reshape(ops.cast(indices, "int32"), ops.shape(z)[:-1])


def lookup(indices, codebook):
    """The codebook rows of ``indices (...)``: ``(..., D)``."""
    return ops.take(codebook, ops.cast(indices, "int32"), axis=0)


def straight_through(z, quantized):
    """``quantized`` in the forward pass, with the gradient of ``z``'s identity backward.

    Written ``sg(q) + (z - sg(z))``: the same gradient as the usual ``z + sg(q - z)`` (the
    identity with respect to ``z``, nothing to ``q``), but its value is ``q`` exactly (``z -
    z`` is exactly 0), where ``z + (q - z)`` can differ from ``q`` by a rounding.
    """
    z = ops.cast(z, "float32")
    return ops.stop_gradient(ops.cast(quantized, "float32")) + (z - ops.stop_gradient(z))


def commitment_loss(z, quantized):
    """``mean |z - sg(q)|^2``: the encoder is pulled towards its codes (the codes do not move:
    with an EMA codebook there is no codebook loss)."""
    z = ops.cast(z, "float32")
    return ops.mean((z - ops.stop_gradient(ops.cast(quantized, "float32"))) ** 2)


def assignment_statistics(z, indices, num_codes):
    """How many vectors went to each code, and their sum.

    Args:
        z: ``(..., D)``; indices: ``(...)``; num_codes: ``K``.

    Returns:
        ``(counts (K,), sums (K, D))`` in float32.
    """
    onehot = ops.one_hot(ops.reshape(ops.cast(indices, "int32"), (-1,)), num_codes,
                         dtype="float32")
    return ops.sum(onehot, axis=0), ops.matmul(ops.transpose(onehot), _flat(z))


def ema_statistics(ema_count, ema_sum, counts, sums, decay):
    """One EMA step of the per-code counts and sums:
    ``N <- decay N + (1 - decay) n``, ``m <- decay m + (1 - decay) s``.

    Returns:
        ``(ema_count (K,), ema_sum (K, D))``.
    """
    return (decay * ema_count + (1.0 - decay) * counts,
            decay * ema_sum + (1.0 - decay) * sums)


def laplace_codebook(ema_count, ema_sum, epsilon=1e-5):
    """The codebook ``e_k = m_k / N'_k`` from the EMA statistics, with the counts smoothed
    (``N'_k = (N_k + eps) / (sum N + K eps) * sum N``: no code divides by zero, and the total
    count is kept)."""
    num_codes = ema_count.shape[0]
    total = ops.sum(ema_count)
    smoothed = (ema_count + epsilon) / (total + num_codes * epsilon) * total
    return ema_sum / smoothed[:, None]


def ema_codebook_step(ema_count, ema_sum, counts, sums, candidates, decay=0.99, epsilon=1e-5,
                      restart_threshold=1.0):
    """One training step of an EMA codebook with dead-code restarts.

    The statistics move towards this batch's (``ema_statistics``), the codebook is their
    Laplace-smoothed ratio (``laplace_codebook``), and every code whose moving count is now
    below ``restart_threshold`` is *dead*: it becomes its row of ``candidates`` (random
    encoder outputs of the batch), with the statistics of that one vector (count 1, sum the
    vector).

    Args:
        ema_count: ``(K,)``; ema_sum: ``(K, D)``: the statistics before the step.
        counts: ``(K,)``; sums: ``(K, D)``: this batch's (``assignment_statistics``).
        candidates: ``(K, D)``: a replacement for each code, used where it is dead.
        decay, epsilon, restart_threshold: floats.

    Returns:
        ``(codebook (K, D), ema_count (K,), ema_sum (K, D))`` after the step.
    """
    ema_count, ema_sum = ema_statistics(ema_count, ema_sum, counts, sums, decay)
    codebook = laplace_codebook(ema_count, ema_sum, epsilon)
    dead = ema_count < restart_threshold
    codebook = ops.where(dead[:, None], candidates, codebook)
    ema_sum = ops.where(dead[:, None], candidates, ema_sum)
    ema_count = ops.where(dead, ops.ones_like(ema_count), ema_count)
    return codebook, ema_count, ema_sum


def code_counts(indices, num_codes):
    """How often each of the ``K`` codes occurs in ``indices``: float32 ``(K,)``."""
    return ops.sum(ops.one_hot(ops.reshape(ops.cast(indices, "int32"), (-1,)), num_codes,
                               dtype="float32"), axis=0)


def perplexity_of_counts(counts):
    """``exp(entropy)`` of the frequencies ``counts / sum(counts)``."""
    p = counts / ops.maximum(ops.sum(counts), 1.0)
    return ops.exp(-ops.sum(p * ops.log(p + 1e-10)))


def perplexity(indices, num_codes):
    """``exp(entropy)`` of the code frequencies in ``indices``: ``K`` when every code is
    used equally, 1 when one code takes everything. It depends on how many indices are
    counted (a batch uses fewer codes than a data set): compare at equal sizes."""
    return perplexity_of_counts(code_counts(indices, num_codes))


def code_usage(indices, num_codes):
    """The share of the ``K`` codes that occur in ``indices`` at least once."""
    return ops.mean(ops.cast(code_counts(indices, num_codes) > 0, "float32"))

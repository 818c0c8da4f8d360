"""Exercises of lesson 05, VideoGPT."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise


@exercise("5.1", "quantize(z, codebook, beta)",
          reimplements=("vidgen_tf.losses.vq.nearest_codes",
                        "vidgen_tf.losses.vq.straight_through",
                        "vidgen_tf.losses.vq.commitment_loss"))
def check_quantize(answer, rng):
    """The student's quantizer against the package's functions: the indices, the value (a
    codebook row), the straight-through gradient (the identity to ``z``, nothing to the
    codebook) and the commitment loss (its gradient to ``z``, nothing to the codebook)."""
    import tensorflow as tf

    from vidgen_tf.losses.vq import commitment_loss, nearest_codes

    trials = 5
    for _ in range(trials):
        shape = tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        k, d = int(rng.integers(2, 12)), int(rng.integers(1, 6))
        beta = float(rng.choice([0.25, 0.5, 1.0]))
        z = tf.Variable(rng.normal(size=shape + (d,)).astype(np.float32))
        codebook = tf.Variable(rng.normal(size=(k, d)).astype(np.float32))
        weights = rng.normal(size=shape + (d,)).astype(np.float32)
        case = f"z of shape {shape + (d,)}, {k} codes, beta {beta}"
        with tf.GradientTape(persistent=True) as tape:
            got = answer(z, codebook, beta)
            if not isinstance(got, tuple) or len(got) != 3:
                raise AssertionError(f"quantize must return (quantized, indices, commitment), "
                                     f"got {type(got).__name__}.")
            quantized, indices, commitment = got
            weighted = tf.reduce_sum(weights * tf.cast(quantized, tf.float32))
            commitment = tf.cast(commitment, tf.float32)
        expected = np.asarray(nearest_codes(z.numpy(), codebook.numpy()))
        compare("quantize's indices", np.asarray(indices), expected, case, rtol=0, atol=0)
        # z + sg(q - z) is q up to one float32 rounding
        compare("quantize's value", np.asarray(quantized), codebook.numpy()[expected], case,
                rtol=0, atol=1e-6)
        grad_z = tape.gradient(weighted, z)
        if grad_z is None:
            raise AssertionError("No gradient reaches z through the quantized output: the "
                                 "straight-through estimator passes the decoder's gradient to "
                                 "the encoder (use tf/keras ops, not NumPy, and "
                                 "stop_gradient on the difference q - z).")
        compare("the gradient of sum(w * quantized) with respect to z", np.asarray(grad_z),
                weights, case, rtol=0, atol=1e-6)
        grad_codebook = tape.gradient(weighted, codebook)
        if grad_codebook is not None and np.any(np.asarray(grad_codebook) != 0):
            raise AssertionError("The quantized output sends a gradient to the codebook: with "
                                 "an EMA codebook only the encoder learns by gradient (stop "
                                 "the gradient of q).")
        compare("the commitment loss", np.asarray(commitment),
                beta * float(commitment_loss(z.numpy(), codebook.numpy()[expected])), case,
                rtol=1e-5, atol=1e-7)
        grad_commit = tape.gradient(commitment, z)
        if grad_commit is None:
            raise AssertionError("The commitment loss sends no gradient to z: it must pull the "
                                 "encoder's outputs towards their codes.")
        n = z.numpy().size
        compare("the gradient of the commitment loss with respect to z",
                np.asarray(grad_commit),
                2 * beta * (z.numpy() - codebook.numpy()[expected]) / n, case,
                rtol=1e-4, atol=1e-7)
        grad_commit_codebook = tape.gradient(commitment, codebook)
        if grad_commit_codebook is not None and np.any(np.asarray(grad_commit_codebook) != 0):
            raise AssertionError("The commitment loss moves the codebook: stop the gradient "
                                 "of the codes in it (the codebook follows its EMA).")
    return (f"quantize gives the nearest codes, their rows with the straight-through gradient, "
            f"and the commitment loss with its gradient to z only, on {trials} random cases.")


@exercise("5.2", "ema_step(ema_count, ema_sum, z, indices, candidates, decay, epsilon, "
                 "threshold)",
          reimplements=("vidgen_tf.losses.vq.ema_codebook_step",
                        "vidgen_tf.losses.vq.ema_statistics",
                        "vidgen_tf.losses.vq.laplace_codebook",
                        "vidgen_tf.losses.vq.assignment_statistics"))
def check_ema_step(answer, rng):
    """The student's EMA step (NumPy) against ``losses.vq``: the statistics, the smoothed
    codebook, and the restart of the codes whose moving count falls below the threshold."""
    from vidgen_tf.losses.vq import assignment_statistics, ema_codebook_step

    trials = 20
    for trial in range(trials):
        k, d = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        n = int(rng.integers(1, 30))
        z = rng.normal(size=(n, d)).astype(np.float32)
        indices = rng.integers(0, k, n).astype(np.int32)
        ema_count = rng.uniform(0.0, 3.0, k).astype(np.float32)
        if trial % 2 == 0:
            ema_count[int(rng.integers(k))] = 0.0           # a code nobody has used
        ema_sum = rng.normal(size=(k, d)).astype(np.float32) * ema_count[:, None]
        candidates = rng.normal(size=(k, d)).astype(np.float32)
        decay = float(rng.choice([0.9, 0.99]))
        epsilon = float(rng.choice([1e-5, 1e-3]))
        threshold = float(rng.choice([0.0, 0.5, 1.0]))
        counts, sums = assignment_statistics(z, indices, k)
        expected = [np.asarray(v) for v in ema_codebook_step(
            ema_count, ema_sum, counts, sums, candidates, decay, epsilon, threshold)]
        got = answer(ema_count.copy(), ema_sum.copy(), z.copy(), indices.copy(),
                     candidates.copy(), decay, epsilon, threshold)
        if not isinstance(got, tuple) or len(got) != 3:
            raise AssertionError(f"ema_step must return (codebook, ema_count, ema_sum), got "
                                 f"{type(got).__name__}.")
        case = (f"{n} vectors of size {d}, {k} codes, decay {decay}, epsilon {epsilon}, "
                f"threshold {threshold}, counts before {np.round(ema_count, 2).tolist()}")
        # float32 sums of at most 30 vectors, and one division
        for name, value, want in zip(("codebook", "ema_count", "ema_sum"), got, expected):
            compare(f"ema_step's {name}", np.asarray(value, np.float64), want, case,
                    rtol=1e-4, atol=1e-5)
    return (f"ema_step moves the statistics, smooths the counts and restarts the dead codes as "
            f"vidgen_tf.losses.vq.ema_codebook_step, on {trials} random cases.")


@exercise("5.3", "attention_step(x, keys, values, index, wq, wk, wv)",
          reimplements="vidgen_tf.layers.attention.CausalSelfAttention.call")
def check_attention_step(answer, rng):
    """The student's cached step, run over every position from an empty cache, against the
    full causal pass of ``CausalSelfAttention`` (one head, no biases, the output projection
    the identity)."""
    from vidgen_tf.layers.attention import CausalSelfAttention

    trials = 4
    for _ in range(trials):
        b, s, d = int(rng.integers(1, 4)), int(rng.integers(2, 9)), int(rng.integers(2, 9))
        x = rng.normal(size=(b, s, d)).astype(np.float32)
        wq, wk, wv = (rng.normal(size=(d, d)).astype(np.float32) / np.sqrt(d)
                      for _ in range(3))
        layer = CausalSelfAttention(d, 1)
        layer.build(x.shape)
        layer.set_weights([np.concatenate([wq, wk, wv], axis=1), np.zeros(3 * d, np.float32),
                           np.eye(d, dtype=np.float32), np.zeros(d, np.float32)])
        expected = np.asarray(layer(x))
        keys = np.zeros((b, s, d), np.float32)
        values = np.zeros((b, s, d), np.float32)
        outputs = []
        for index in range(s):
            got = answer(x[:, index].copy(), keys, values, index, wq, wk, wv)
            if not isinstance(got, tuple) or len(got) != 3:
                raise AssertionError(f"attention_step must return (output, keys, values), got "
                                     f"{type(got).__name__}.")
            out, keys, values = (np.asarray(v, np.float32) for v in got)
            if keys.shape != (b, s, d) or values.shape != (b, s, d):
                raise AssertionError(f"the caches must keep their shape {(b, s, d)} (one row "
                                     f"per position, written at index), got {keys.shape} and "
                                     f"{values.shape}.")
            outputs.append(out)
        # float32 dot products of d <= 8 terms and a softmax over <= 8 keys
        compare("attention_step's outputs, position by position", np.stack(outputs, axis=1),
                expected, f"{b} sequences of {s} positions, width {d}", rtol=1e-4, atol=1e-5)
    return (f"attention_step with a key-value cache gives, position by position, the full "
            f"causal pass of vidgen_tf.layers.attention.CausalSelfAttention, on {trials} random "
            f"sequences.")

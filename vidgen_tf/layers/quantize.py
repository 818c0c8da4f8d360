"""The vector quantizer of a VQ-VAE, with an EMA codebook and dead-code restarts (lesson 05).

Tensors are ``(..., D)`` vectors (a VQ-VAE's encoder output ``(B, t, h, w, D)``); the
functions it is made of are in ``vidgen_tf.losses.vq``.
"""

from __future__ import annotations

import keras
from keras import ops

from vidgen_tf.layers.replica import cross_replica_sum
from vidgen_tf.losses.vq import (assignment_statistics, code_counts, ema_codebook_step, lookup,
                                 nearest_codes, perplexity_of_counts, straight_through)


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VectorQuantizer(keras.layers.Layer):
    """Replace each vector by the nearest of ``num_codes`` codebook rows.

    The codebook is not learned by gradients: in training each code becomes the exponential
    moving average of the vectors assigned to it (decay ``decay``, Laplace-smoothed counts),
    it starts as ``num_codes`` encoder outputs of the first training batch (with a little
    noise), and a code whose moving count falls below ``restart_threshold`` vectors per batch
    is *dead* and restarted as a random encoder output of the current batch (Dhariwal et al.
    2020, Jukebox; VideoGPT does the same every step). A restarted code's statistics are reset
    to that one vector, so the codebook always follows from its statistics (VideoGPT and
    Jukebox keep the old ones).

    **Its variables change only when it trains**: when the layer is called with
    ``training=True`` *and* is ``trainable``, as BatchNormalization's moving statistics. In
    Keras ``trainable=False`` only hides weights from the optimizer; an assignment in ``call``
    would still run, and a prior trained on top of a frozen VQ-VAE calls it with ``training``
    inherited as True (VideoGPT issue 7: the codebook drifted while the transformer trained).
    Under ``tf.distribute`` the counts and sums are added over the replicas before the update,
    and the variables take the first replica's value (restart picks come from its batch).

    Args:
        num_codes: int. ``K``, the codebook size.
        code_dim: int. ``D``, the size of a vector.
        decay: float. EMA decay of the statistics (0.99, as VideoGPT).
        epsilon: float. Laplace smoothing of the counts.
        restart_threshold: float. A code whose moving count is below this is restarted
            (0: never).
        seed: optional int: the seed of the initial and restart picks.

    Call arguments:
        inputs: ``(..., D)`` vectors.
        training: bool. Update the codebook (if the layer is trainable).

    Returns:
        dict: ``"quantized"`` ``(..., D)`` float32: the codebook rows in the forward pass,
        with the straight-through gradient (identity to ``inputs``); ``"indices"``
        ``(...)`` int32: the tokens.

    Example:
        vq = VectorQuantizer(512, 64)
        out = vq(z, training=True)          # z: (B, 4, 8, 8, 64) -> 256 tokens per clip
        out["indices"].shape                # (B, 4, 8, 8)
    """

    def __init__(self, num_codes, code_dim, decay=0.99, epsilon=1e-5, restart_threshold=1.0,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        if int(num_codes) < 2 or int(code_dim) < 1:
            raise ValueError(f"VectorQuantizer: num_codes must be >= 2 and code_dim >= 1, got "
                             f"{num_codes!r} and {code_dim!r}.")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"VectorQuantizer: decay must be in [0, 1), got {decay!r}.")
        self.num_codes = int(num_codes)
        self.code_dim = int(code_dim)
        self.decay = float(decay)
        self.epsilon = float(epsilon)
        self.restart_threshold = float(restart_threshold)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="picks")

    def build(self, input_shape):
        if input_shape[-1] != self.code_dim:
            raise ValueError(f"VectorQuantizer: expected vectors of size {self.code_dim} on the "
                             f"last axis, got input shape {tuple(input_shape)}.")

        def state(name, shape, initializer="zeros"):
            # not trained by gradients, never cast under mixed precision; under a strategy
            # every replica ends the step with the first replica's value
            return self.add_weight(name=name, shape=shape, initializer=initializer,
                                   trainable=False, autocast=False,
                                   aggregation="only_first_replica")

        self.codebook = state("codebook", (self.num_codes, self.code_dim), "random_normal")
        self.ema_count = state("ema_count", (self.num_codes,), "ones")
        self.ema_sum = state("ema_sum", (self.num_codes, self.code_dim))
        self.initialized = state("initialized", ())     # 1.0 once the first batch has set it

    def compute_output_shape(self, input_shape):
        return {"quantized": tuple(input_shape), "indices": tuple(input_shape[:-1])}

    def compute_output_spec(self, inputs, training=None):
        return {"quantized": keras.KerasTensor(inputs.shape, "float32"),
                "indices": keras.KerasTensor(inputs.shape[:-1], "int32")}

    def _random_vectors(self, flat):
        """``K`` rows of ``flat (N, D)`` picked at random (with replacement), plus noise of
        standard deviation ``0.01 / sqrt(D)`` so that a row picked twice gives two codes."""
        n = ops.shape(flat)[0]
        picks = keras.random.randint((self.num_codes,), 0, n, seed=self.seed_generator)
        noise = keras.random.normal((self.num_codes, self.code_dim),
                                    stddev=0.01 / self.code_dim ** 0.5,
                                    seed=self.seed_generator)
        return ops.take(flat, picks, axis=0) + noise

    def call(self, inputs, training=None):
        z = ops.cast(inputs, "float32")
        if not (training and self.trainable):
            indices = nearest_codes(z, self.codebook)
            return {"quantized": straight_through(z, lookup(indices, self.codebook)),
                    "indices": indices}
        flat = ops.reshape(z, (-1, self.code_dim))
        candidates = self._random_vectors(ops.stop_gradient(flat))
        # the first training batch sets the codebook (and its statistics: one vector each)
        ready = self.initialized > 0.5
        codebook = ops.where(ready, self.codebook, candidates)
        ema_count = ops.where(ready, self.ema_count, ops.ones_like(self.ema_count))
        ema_sum = ops.where(ready, self.ema_sum, candidates)

        indices = nearest_codes(z, codebook)
        quantized = lookup(indices, codebook)        # the codes before this step's update
        counts, sums = assignment_statistics(ops.stop_gradient(flat), indices, self.num_codes)
        counts, sums = cross_replica_sum(counts), cross_replica_sum(sums)
        codebook, ema_count, ema_sum = ema_codebook_step(
            ema_count, ema_sum, counts, sums, candidates, self.decay, self.epsilon,
            self.restart_threshold)
        self.codebook.assign(codebook)
        self.ema_count.assign(ema_count)
        self.ema_sum.assign(ema_sum)
        self.initialized.assign(ops.ones_like(self.initialized))
        return {"quantized": straight_through(z, quantized), "indices": indices}

    def encode(self, inputs):
        """The tokens of ``inputs (..., D)``: int32 ``(...)`` (never updates anything)."""
        return nearest_codes(ops.cast(inputs, "float32"), self.codebook)

    def lookup(self, indices):
        """The codebook rows of ``indices (...)``: ``(..., D)`` float32."""
        return lookup(indices, self.codebook)

    def usage(self, indices):
        """``{"perplexity": ..., "usage": ...}`` of a batch of tokens (``losses.vq``): the
        perplexity of the code frequencies and the share of codes used, counted over the
        whole global batch under a strategy."""
        counts = cross_replica_sum(code_counts(indices, self.num_codes))
        return {"perplexity": perplexity_of_counts(counts),
                "usage": ops.mean(ops.cast(counts > 0, "float32"))}

    def get_config(self):
        return {**super().get_config(), "num_codes": self.num_codes,
                "code_dim": self.code_dim, "decay": self.decay, "epsilon": self.epsilon,
                "restart_threshold": self.restart_threshold, "seed": self.seed}

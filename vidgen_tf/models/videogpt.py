"""VideoGPT's prior: a decoder-only transformer over a VQ-VAE's token grid (lesson 05).

A clip's ``(t, h, w)`` token grid (``models.VideoVQVAE``) is flattened time-major into ``L =
t * h * w`` tokens ``x_1 .. x_L``; the prior models ``p(x) = prod_i p(x_i | x_<i, c)`` with
causal self-attention (Yan et al. 2021, after Image GPT, Chen et al. 2020). The sequence fed
to the transformer is the tokens shifted right by one, behind a *start token*: the start
token is the class ``c`` (a digit) or, without one, a null class; in training the class is
replaced by the null class with probability ``label_dropout``, so one model samples with and
without a class. Position ``i`` gets per-axis position vectors (``GridPositionEmbedding``).

Sampling draws one token per step. With the key-value cache (``decode_step``) a step runs the
transformer on one token and reads the keys and values of the earlier positions from a
preallocated cache; without it every step reruns the whole sequence. Both run in the same
compiled ``while`` loop over the positions (XLA by default), so the timings compare. Tokens are drawn with
the Gumbel-max trick, ``argmax(logits / temperature + g)``, ``g = -log(-log(u))``, which is an
exact draw from ``softmax(logits / temperature)``; the noise comes from a seeded NumPy
generator, so the same seed gives the same clips. A *prefix* (the tokens of given frames) is
kept: at its positions the given token is fed instead of the drawn one.

Token tensors are int32 ``(batch, L)`` (or grids ``(batch, t, h, w)``); labels int ``(batch,)``
with -1 for "no class".
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from vidgen_tf.layers.attention import TransformerBlock
from vidgen_tf.layers.embeddings import GridPositionEmbedding
from vidgen_tf.models.distribute import multiworker_safe_logs, replica_share


def _compiled(function, jit_compile=False):
    """``function`` traced once into a graph under TensorFlow (``jit_compile``: with XLA); as
    is on other backends."""
    if keras.backend.backend() != "tensorflow":
        return function
    import tensorflow as tf

    return tf.function(function, reduce_retracing=True, jit_compile=jit_compile)


def gumbel_noise(rng, shape):
    """``-log(-log(u))`` for ``u`` uniform in (0, 1): float32 ``shape`` from NumPy ``rng``."""
    u = rng.uniform(np.finfo(np.float32).tiny, 1.0, size=shape)
    return (-np.log(-np.log(u))).astype("float32")


def pick_tokens(logits, noise, temperature=1.0, top_k=None):
    """One draw per row from ``softmax(logits / temperature)``, restricted to the ``top_k``
    most likely tokens: ``argmax(logits / temperature + noise)`` (Gumbel-max).

    Args:
        logits: ``(B, K)``; noise: ``(B, K)`` Gumbel noise (``gumbel_noise``; zeros give the
            most likely token); temperature: float > 0; top_k: optional int.

    Returns:
        int32 ``(B,)``.
    """
    logits = ops.cast(logits, "float32") / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = ops.top_k(logits, int(top_k), sorted=True)[0][:, -1:]
        logits = ops.where(logits < kth, -1e9, logits)
    return ops.cast(ops.argmax(logits + noise, axis=-1), "int32")


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VideoGPT(keras.Model):
    """An autoregressive prior over token grids, with a key-value cache for sampling.

    Args:
        grid: ``(t, h, w)``: the VQ-VAE's token grid.
        num_codes: int. ``K``.
        dim: int. Transformer width.
        depth: int. Transformer blocks.
        heads: int. Attention heads.
        mlp_ratio: int.
        dropout: float. Attention and residual dropout in training.
        num_classes: int. Classes of the start token (0: unconditional only).
        label_dropout: float. Share of training clips whose class is replaced by the null
            class.
        seed: optional int: the label-dropout draws.

    Call arguments:
        inputs: tokens ``(B, L)`` or ``(B, t, h, w)``, or ``{"tokens": ..., "labels": (B,)}``
            (labels -1: none).
        training: bool.

    Returns:
        ``(B, L, K)`` float32 logits: row ``i`` is the prediction of token ``i`` from tokens
        ``< i``.

    Example:
        gpt = VideoGPT((4, 8, 8), num_codes=512, num_classes=10)
        tokens = gpt.sample(16, labels=np.arange(16) % 10, seed=0)   # (16, 256)
    """

    def __init__(self, grid=(4, 8, 8), num_codes=512, dim=192, depth=4, heads=4, mlp_ratio=4,
                 dropout=0.1, num_classes=0, label_dropout=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.grid = tuple(int(n) for n in grid)
        self.num_codes = int(num_codes)
        self.dim = int(dim)
        self.depth = int(depth)
        self.heads = int(heads)
        self.mlp_ratio = int(mlp_ratio)
        self.dropout = float(dropout)
        self.num_classes = int(num_classes)
        self.label_dropout = float(label_dropout)
        self.seed = seed
        if len(self.grid) != 3 or min(self.grid) < 1:
            raise ValueError(f"VideoGPT: grid must be three positive ints (t, h, w), got "
                             f"{grid!r}.")
        if not 0.0 <= self.label_dropout <= 1.0:
            raise ValueError(f"VideoGPT: label_dropout must be in [0, 1], got "
                             f"{label_dropout!r}.")
        self.length = math.prod(self.grid)
        self.data_shape = (self.length,)          # a training clip: its tokens
        self.head_dim = self.dim // self.heads
        policy = self.dtype_policy
        # inputs: the codes, then the null class (index K), then the classes (K + 1 + c)
        self.token_embedding = layers.Embedding(self.num_codes + 1 + self.num_classes,
                                                self.dim, name="token_embedding",
                                                embeddings_initializer=keras.initializers
                                                .RandomNormal(stddev=0.02), dtype=policy)
        self.positions = GridPositionEmbedding(self.grid, self.dim, name="positions",
                                               dtype=policy)
        self.blocks = [TransformerBlock(self.dim, self.heads, self.mlp_ratio, self.dropout,
                                        name=f"block{i}", dtype=policy)
                       for i in range(self.depth)]
        self.final_norm = layers.LayerNormalization(epsilon=1e-5, name="final_norm",
                                                    dtype=policy)
        self.head = layers.Dense(self.num_codes, name="logits", dtype="float32")
        self.seed_generator = keras.random.SeedGenerator(seed, name="label_dropout")
        sequence = (None, self.length, self.dim)
        self.token_embedding.build((None, self.length))
        self.positions.build(sequence)
        for block in self.blocks:
            block.build(sequence)
        self.final_norm.build(sequence)
        self.head.build(sequence)
        self.trackers = {key: keras.metrics.Mean(name=key) for key in ("loss", "accuracy")}
        self._samplers = {}
        self.build()

    def build(self, input_shape=None):
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    # -- inputs ---------------------------------------------------------------------------
    def _split(self, inputs):
        labels = None
        if isinstance(inputs, dict):
            labels = inputs.get("labels")
            inputs = inputs["tokens"]
        shape = tuple(inputs.shape[1:])
        if shape not in ((self.length,), self.grid):
            raise ValueError(f"VideoGPT: expected tokens (batch, {self.length}) or token grids "
                             f"(batch, {', '.join(map(str, self.grid))}), got "
                             f"{tuple(inputs.shape)}.")
        tokens = ops.reshape(ops.cast(inputs, "int32"), (-1, self.length))
        return tokens, labels

    def start_tokens(self, labels, batch):
        """The start token of each clip: ``K + 1 + label``, or ``K`` (the null class) where
        the label is -1 or there are no labels."""
        if labels is None or not self.num_classes:
            return ops.full((batch,), self.num_codes, dtype="int32")
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return ops.where(labels >= 0, self.num_codes + 1 + labels, self.num_codes)

    def _embed(self, tokens):
        return self.token_embedding(tokens)

    def _logits(self, x):
        return self.head(self.final_norm(x))

    # -- the full causal pass -------------------------------------------------------------
    def call(self, inputs, training=False):
        tokens, labels = self._split(inputs)
        if training and labels is not None and self.label_dropout > 0:
            keep = keras.random.uniform(ops.shape(labels)[:1],
                                        seed=self.seed_generator) >= self.label_dropout
            labels = ops.where(keep, ops.cast(labels, "int32"), -1)
        start = self.start_tokens(labels, ops.shape(tokens)[0])
        shifted = ops.concatenate([start[:, None], tokens[:, :-1]], axis=1)
        x = self.positions(self._embed(shifted))
        for block in self.blocks:
            x = block(x, training=training)
        return self._logits(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        tokens, _ = self._split(x)
        loss = ops.mean(keras.losses.sparse_categorical_crossentropy(tokens, y_pred,
                                                                     from_logits=True))
        accuracy = ops.mean(ops.cast(ops.argmax(y_pred, axis=-1) == tokens, "float32"))
        self.trackers["loss"].update_state(loss)
        self.trackers["accuracy"].update_state(accuracy)
        return replica_share(loss)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return multiworker_safe_logs({key: t.result() for key, t in self.trackers.items()})

    # -- one position at a time, with a key-value cache ----------------------------------
    def empty_cache(self, batch):
        """Zeros ``(batch, depth, 2, L, heads, dim / heads)``: keys and values per block."""
        return ops.zeros((batch, self.depth, 2, self.length, self.heads, self.head_dim),
                         dtype=self.compute_dtype)

    def decode_step(self, inputs, index, cache):
        """The logits of token ``index`` given the input at position ``index`` (the start
        token at 0, else token ``index - 1``), reading earlier positions from ``cache``.

        Args:
            inputs: int32 ``(B,)``; index: scalar int; cache: from ``empty_cache`` or the
                previous step.

        Returns:
            ``(logits (B, K) float32, updated cache)``.
        """
        x = self.positions(self._embed(ops.cast(inputs, "int32")[:, None]), index=index)
        caches = []
        for i, block in enumerate(self.blocks):
            x, updated = block(x, cache=cache[:, i], cache_index=index)
            caches.append(updated)
        return self._logits(x)[:, 0], ops.stack(caches, axis=1)

    def _next_logits(self, tokens, start, index):
        """Without a cache: the logits of token ``index`` from a whole pass over the
        sequence ``tokens (B, L)`` (positions from ``index`` on are hidden by the mask)."""
        shifted = ops.concatenate([start[:, None], tokens[:, :-1]], axis=1)
        x = self.positions(self._embed(shifted))
        for block in self.blocks:
            x = block(x)
        return self._logits(ops.take(x, index[None], axis=1))[:, 0]

    def _sampler(self, use_cache, temperature, top_k, jit_compile):
        """The whole sampling loop as one compiled function, made once per setting: a
        ``while`` loop over the positions, so that a step costs what the network does, not
        a Python round trip."""
        key = (use_cache, float(temperature), top_k, bool(jit_compile))
        if key in self._samplers:
            return self._samplers[key]

        def run(start, prefix, given, noise):
            batch = ops.shape(start)[0]
            tokens = ops.zeros((batch, self.length), dtype="int32")
            cache = self.empty_cache(batch) if use_cache else ops.zeros((), self.compute_dtype)

            def body(index, inputs, cache, tokens):
                if use_cache:
                    logits, cache = self.decode_step(inputs, index, cache)
                else:
                    logits = self._next_logits(tokens, start, index)
                drawn = pick_tokens(logits, noise[index], temperature, top_k)
                # a prefix position keeps its given token
                drawn = ops.where(index < given, prefix[:, index], drawn)
                tokens = ops.slice_update(tokens, [0, index], drawn[:, None])
                return index + 1, drawn, cache, tokens

            _, _, _, tokens = ops.while_loop(
                lambda index, *_: index < self.length, body,
                (ops.convert_to_tensor(0, "int32"), start, cache, tokens),
                maximum_iterations=self.length)
            return tokens

        self._samplers[key] = _compiled(run, jit_compile)
        return self._samplers[key]

    def sample(self, num, labels=None, prefix=None, temperature=1.0, top_k=None,
               use_cache=True, seed=None, jit_compile=True):
        """Draw ``num`` token sequences.

        Args:
            num: int.
            labels: optional int ``(num,)``: the class of each clip (-1: none).
            prefix: optional int ``(num, P)`` (``P <= L``): the first tokens, kept as given.
            temperature: float > 0. Below 1: sharper, above: more varied.
            top_k: optional int: draw among the ``top_k`` most likely tokens only.
            use_cache: bool. False reruns the whole sequence at each step (for the
                comparison of lesson 05; same results up to float rounding).
            seed: optional int: the same seed gives the same tokens.
            jit_compile: bool. Compile the loop with XLA (TensorFlow). On a 2-core AVX-512
                CPU, for the lesson's prior (256 tokens, width 192, 4 blocks) with the
                cache: 0.16 s for one clip against 0.70 s without XLA, 2.5 s against 3.4 s
                for 16 (after a compilation of about 2 s per batch size). Unlike the
                Conv3D training steps of the earlier lessons, this loop of small matrix
                products and in-place cache updates is what XLA does well on a CPU.

        Returns:
            int32 NumPy ``(num, L)``.
        """
        if temperature <= 0:
            raise ValueError(f"VideoGPT.sample: temperature must be > 0, got {temperature!r}.")
        if top_k is not None and not 1 <= int(top_k) <= self.num_codes:
            raise ValueError(f"VideoGPT.sample: top_k must be in [1, {self.num_codes}], got "
                             f"{top_k!r}.")
        given = 0
        if prefix is not None:
            prefix = np.asarray(prefix, dtype="int32")
            if prefix.ndim != 2 or len(prefix) != num:
                raise ValueError(f"VideoGPT.sample: the prefix must be ({num}, P): one row of "
                                 f"tokens per clip, got shape {prefix.shape}.")
            given = prefix.shape[1]
            if given > self.length or prefix.min(initial=0) < 0 or (
                    prefix.max(initial=0) >= self.num_codes):
                raise ValueError(f"VideoGPT.sample: the prefix must be at most {self.length} "
                                 f"tokens in [0, {self.num_codes}), got shape {prefix.shape} "
                                 f"with values {prefix.min()}..{prefix.max()}.")
        if labels is not None:
            labels = np.asarray(labels).reshape(-1)
            if len(labels) != num:
                raise ValueError(f"VideoGPT.sample: {num} clips but {len(labels)} labels.")
            if not self.num_classes:
                raise ValueError("VideoGPT.sample: this model has no classes (num_classes=0); "
                                 "sample without labels.")
            if labels.min(initial=0) < -1 or labels.max(initial=0) >= self.num_classes:
                raise ValueError(f"VideoGPT.sample: labels must be in [0, {self.num_classes}) "
                                 f"or -1 (no class), got {labels.min()}..{labels.max()}.")
        rng = np.random.default_rng(seed)
        noise = gumbel_noise(rng, (self.length, num, self.num_codes))
        padded = np.zeros((num, self.length), dtype="int32")
        if given:
            padded[:, :given] = prefix
        start = self.start_tokens(None if labels is None else ops.convert_to_tensor(labels),
                                  num)
        tokens = self._sampler(use_cache, temperature, top_k, jit_compile)(
            start, ops.convert_to_tensor(padded), ops.convert_to_tensor(given, "int32"),
            ops.convert_to_tensor(noise))
        tokens = np.asarray(tokens)
        return tokens

    def prefix_tokens(self, vqvae, frames):
        """The tokens that encode a clip's first frames: the prefix of a frame-conditioned
        sample.

        The frames are made into a whole clip by repeating the last one, encoded by
        ``vqvae`` (whose encoder must be causal), and the token slices that the given frames
        decide are kept: ``ceil(k / s)`` slices for ``k`` frames and a time stride of ``s``
        (at least one; with fewer than ``s`` frames its remaining frames are the last given
        frame, still).

        Args:
            vqvae: a ``VideoVQVAE`` with ``causal=True`` and this prior's grid.
            frames: ``(B, k, H, W, C)`` float in ``[-1, 1]``.

        Returns:
            int32 NumPy ``(B, slices * h * w)``.
        """
        if not getattr(vqvae, "causal", False) or tuple(vqvae.token_grid) != self.grid:
            raise ValueError(f"VideoGPT.prefix_tokens: needs a causal VQ-VAE with the token "
                             f"grid {self.grid}, got {type(vqvae).__name__} with "
                             f"{getattr(vqvae, 'token_grid', None)} (causal="
                             f"{getattr(vqvae, 'causal', None)}).")
        frames = np.asarray(frames, dtype="float32")
        total = vqvae.video_shape[0]
        given = frames.shape[1]
        if frames.ndim != 5 or not 1 <= given <= total or (
                tuple(frames.shape[2:]) != tuple(vqvae.video_shape[1:])):
            raise ValueError(f"VideoGPT.prefix_tokens: expected frames (batch, 1..{total}, "
                             f"{', '.join(map(str, vqvae.video_shape[1:]))}), got "
                             f"{frames.shape}.")
        clip = np.concatenate([frames, np.repeat(frames[:, -1:], total - given, axis=1)], 1)
        stride = total // self.grid[0]
        slices = -(-given // stride)
        tokens = np.asarray(vqvae.encode(clip)).reshape(len(frames), -1)
        return tokens[:, :slices * self.grid[1] * self.grid[2]]

    def generate(self, vqvae, num, labels=None, first_frames=None, temperature=1.0,
                 top_k=None, seed=None, batch_size=64, progress=False):
        """Clips decoded by ``vqvae`` from sampled tokens: ``(num, T, H, W, C)`` float NumPy.

        Args:
            vqvae: the ``VideoVQVAE`` whose tokens this prior models.
            num: int.
            labels: optional int ``(num,)`` (-1: none).
            first_frames: optional ``(num, k, H, W, C)``: given opening frames (their tokens
                are the prefix, ``prefix_tokens``).
            temperature, top_k: as ``sample``.
            seed: optional int; batch ``j`` is drawn with ``seed + j``.
            batch_size: int. Clips sampled at once.
            progress: bool. A progress bar over the batches.

        Returns:
            float32 NumPy clips.
        """
        parts = []
        bar = keras.utils.Progbar(num, unit_name="clip") if progress else None
        for j, start in enumerate(range(0, num, batch_size)):
            n = min(batch_size, num - start)
            prefix = None
            if first_frames is not None:
                prefix = self.prefix_tokens(vqvae, first_frames[start:start + n])
            tokens = self.sample(n, labels=None if labels is None else labels[start:start + n],
                                 prefix=prefix, temperature=temperature, top_k=top_k,
                                 seed=None if seed is None else seed + j)
            parts.append(np.asarray(vqvae.decode(tokens.reshape((n,) + self.grid))))
            if bar is not None:
                bar.add(n)
        return np.concatenate(parts)

    def get_config(self):
        return {**super().get_config(), "grid": self.grid, "num_codes": self.num_codes,
                "dim": self.dim, "depth": self.depth, "heads": self.heads,
                "mlp_ratio": self.mlp_ratio, "dropout": self.dropout,
                "num_classes": self.num_classes, "label_dropout": self.label_dropout,
                "seed": self.seed}

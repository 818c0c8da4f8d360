"""A VQ-VAE for clips: video to a small grid of tokens and back (lesson 05).

Lesson 01's VAE reconstructs well but samples badly: its prior ``N(0, I)`` is far from where
the encoder puts clips. A VQ-VAE (van den Oord et al. 2017) makes the latent *discrete* — each
vector of the encoder's grid is replaced by the nearest of ``K`` codebook rows
(``layers.VectorQuantizer``) — so that a second model, a prior over the token grid (lesson
05's ``VideoGPT``), can learn where clips really are. VideoGPT (Yan et al. 2021) does this for
video with 3-D convolutions and axial attention; here the encoder folds blocks into channels
(``SpaceToDepth3D``: on CPUs stride-1 convolutions on folded blocks train many times faster
than strided Conv3D) and is **causal in time**: its convolutions pad only the past
(``CausalConv3D``) and normalise each frame alone (``FrameGroupNormalization``), so token
slice ``i`` depends on frames ``< (i + 1) * stride_t`` only. The first frames of a clip can
then be encoded without the rest and their tokens given to the prior as a prefix.

The loss is ``mse / data_variance + commitment * mean |z - sg(q)|^2``; the codebook follows
its EMA (no codebook loss). The decoder's output is linear, clipped to ``[-1, 1]`` only by
``decode``: with a ``tanh`` output, clips that are almost all background (-1) drive its
inputs deep into saturation, where the gradient vanishes for every pixel, and the model stays
at a black frame (in a pilot on one digit at 32x32 the same autoencoder reached a per-pixel
MSE of 0.046 in 300 steps with a linear output and stayed at 0.13, a black frame's error, with
``tanh``). Logged: the loss, the MSE, the commitment term, PSNR, and the
batch's code perplexity and share of codes used.

Video tensors are ``(batch, frames, height, width, channels)`` floats in ``[-1, 1]``; token
grids are int32 ``(batch, t, h, w)``.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from vidgen_tf.layers.conv import (CausalConv3D, DepthToSpace3D, FrameGroupNormalization,
                                   ResidualBlock3D, SpaceToDepth3D)
from vidgen_tf.layers.quantize import VectorQuantizer
from vidgen_tf.losses.vq import commitment_loss
from vidgen_tf.models.distribute import multiworker_safe_logs, replica_share


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VideoVQVAE(keras.Model):
    """Clips to a ``(t, h, w)`` grid of tokens from a codebook of ``num_codes``, and back.

    Args:
        video_shape: ``(T, H, W, C)``.
        widths: channels of the residual stages, one per resolution; between two stages
            ``downsample`` blocks are folded into channels.
        patch: ``(t, h, w)`` folded into channels at the input.
        downsample: ``(t, h, w)`` folded between stages.
        blocks: int. Residual blocks per stage.
        code_dim: int. Size of a codebook vector.
        num_codes: int. ``K``.
        commitment: float. Weight of the commitment term (0.25).
        data_variance: float. The MSE is divided by it (the data's variance), so that the
            commitment weight means what it means in the papers.
        decay, restart_threshold: the quantizer's (``layers.VectorQuantizer``).
        causal: bool. A causal encoder (see the module docstring); False: "same" padding and
            GroupNorm over the clip.
        groups: int. GroupNorm groups.
        seed: optional int. The quantizer's picks.

    Call arguments:
        inputs: ``(B, T, H, W, C)`` clips (or ``{"video": clips}``).
        training: bool. Also updates the codebook (if trainable).

    Returns:
        dict: ``"reconstruction"`` ``(B, T, H, W, C)`` float32 (not clipped); ``"indices"`` ``(B, t, h,
        w)`` int32; ``"commitment"`` ``(B,)`` float32 (each clip's ``mean |z - q|^2``).

    Example:
        vq = VideoVQVAE((16, 32, 32, 1))
        vq.token_grid            # (4, 8, 8): 256 tokens for 16384 pixels
    """

    def __init__(self, video_shape=(16, 32, 32, 1), widths=(64, 128), patch=(2, 2, 2),
                 downsample=(2, 2, 2), blocks=1, code_dim=64, num_codes=512, commitment=0.25,
                 data_variance=1.0, decay=0.99, restart_threshold=1.0, causal=True, groups=8,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.video_shape = tuple(int(s) for s in video_shape)
        self.widths = tuple(int(w) for w in widths)
        self.patch = tuple(int(p) for p in patch)
        self.downsample = tuple(int(d) for d in downsample)
        self.blocks = int(blocks)
        self.code_dim = int(code_dim)
        self.num_codes = int(num_codes)
        self.commitment = float(commitment)
        self.data_variance = float(data_variance)
        self.decay = float(decay)
        self.restart_threshold = float(restart_threshold)
        self.causal = bool(causal)
        self.groups = int(groups)
        self.seed = seed
        if len(self.video_shape) != 4:
            raise ValueError(f"VideoVQVAE: video_shape must be (T, H, W, C), got "
                             f"{video_shape!r}.")
        if data_variance <= 0:
            raise ValueError(f"VideoVQVAE: data_variance must be > 0, got {data_variance!r}.")
        downs = len(self.widths) - 1
        factor = [p * d ** downs for p, d in zip(self.patch, self.downsample)]
        if any(n % f for n, f in zip(self.video_shape[:3], factor)):
            raise ValueError(f"VideoVQVAE: video_shape {self.video_shape} is not divisible by "
                             f"the total downsampling (t, h, w) = {tuple(factor)}.")
        self.token_grid = tuple(n // f for n, f in zip(self.video_shape[:3], factor))
        self.data_shape = self.video_shape
        policy = self.dtype_policy
        kind = "causal" if self.causal else "conv3d"

        def conv3(width, name=None, dtype=policy):
            if self.causal:
                return CausalConv3D(width, 3, name=name, dtype=dtype)
            return layers.Conv3D(width, 3, padding="same", name=name, dtype=dtype)

        def norm():
            if self.causal:
                return FrameGroupNormalization(self.groups, dtype=policy)
            return layers.GroupNormalization(self.groups, dtype=policy)

        def stage(width, name):
            return [ResidualBlock3D(width, kind=kind, groups=self.groups, dtype=policy,
                                    name=f"{name}_block{b}") for b in range(self.blocks)]

        encoder = [layers.Input(self.video_shape), SpaceToDepth3D(self.patch, dtype=policy),
                   conv3(self.widths[0])]
        for i, width in enumerate(self.widths):
            encoder += stage(width, f"stage{i}")
            if i < downs:
                encoder += [SpaceToDepth3D(self.downsample, dtype=policy),
                            layers.Conv3D(self.widths[i + 1], 1, dtype=policy)]
        # the vectors that are quantized: computed in float32 under mixed precision
        encoder += [norm(), layers.Activation("silu", dtype=policy),
                    layers.Conv3D(self.code_dim, 1, dtype="float32", name="to_codes")]
        self.encoder = keras.Sequential(encoder, name="encoder")
        self.quantizer = VectorQuantizer(self.num_codes, self.code_dim, decay=self.decay,
                                         restart_threshold=self.restart_threshold,
                                         seed=seed, name="quantizer")
        self.quantizer.build(self.token_grid + (self.code_dim,))
        t, h, w = self.downsample
        decoder = [layers.Input(self.token_grid + (self.code_dim,)),
                   layers.Conv3D(self.widths[-1], 3, padding="same", dtype=policy)]
        for i in reversed(range(len(self.widths))):
            decoder += [ResidualBlock3D(self.widths[i], groups=self.groups, dtype=policy,
                                        name=f"stage{i}_block{b}") for b in range(self.blocks)]
            if i > 0:
                decoder += [layers.Conv3D(self.widths[i - 1] * t * h * w, 1, dtype=policy),
                            DepthToSpace3D(self.downsample, dtype=policy)]
        decoder += [layers.GroupNormalization(self.groups, dtype=policy),
                    layers.Activation("silu", dtype=policy),
                    layers.Conv3D(self.video_shape[-1] * math.prod(self.patch), 3,
                                  padding="same", dtype="float32", name="output"),
                    DepthToSpace3D(self.patch, dtype="float32")]
        self.decoder = keras.Sequential(decoder, name="decoder")
        self.trackers = {key: keras.metrics.Mean(name=key) for key in
                         ("loss", "mse", "commitment", "psnr", "perplexity", "usage")}
        self.build()

    def build(self, input_shape=None):
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _video(self, inputs):
        video = inputs["video"] if isinstance(inputs, dict) else inputs
        if tuple(video.shape[1:]) != self.video_shape:
            raise ValueError(f"VideoVQVAE: expected clips (batch, "
                             f"{', '.join(map(str, self.video_shape))}), got "
                             f"{tuple(video.shape)}.")
        return video

    def call(self, inputs, training=False):
        z = self.encoder(self._video(inputs), training=training)
        out = self.quantizer(z, training=training)
        commitment = ops.mean((ops.cast(z, "float32") - ops.stop_gradient(out["quantized"]))
                              ** 2, axis=(1, 2, 3, 4))
        return {"reconstruction": self.decoder(out["quantized"], training=training),
                "indices": out["indices"], "commitment": commitment}

    def _clipped(self, videos):
        return ops.clip(videos, -1.0, 1.0)

    def encode(self, videos):
        """The token grid of ``videos``: int32 ``(B, t, h, w)`` (never updates the
        codebook)."""
        return self.quantizer.encode(self.encoder(self._video(videos), training=False))

    def decode(self, indices):
        """Clips ``(B, T, H, W, C)`` from token grids ``(B, t, h, w)``, clipped to
        ``[-1, 1]``."""
        if tuple(indices.shape[1:]) != self.token_grid:
            raise ValueError(f"VideoVQVAE.decode: expected token grids (batch, "
                             f"{', '.join(map(str, self.token_grid))}), got "
                             f"{tuple(indices.shape)}.")
        return self._clipped(self.decoder(self.quantizer.lookup(indices), training=False))

    def reconstruct(self, videos):
        """``decode(encode(videos))``."""
        return self.decode(self.encode(videos))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        video = ops.cast(self._video(x), "float32")
        mse = ops.mean((y_pred["reconstruction"] - video) ** 2)
        commitment = ops.mean(y_pred["commitment"])
        loss = mse / self.data_variance + self.commitment * commitment
        usage = self.quantizer.usage(y_pred["indices"])
        # PSNR of the batch's mean MSE, data range 2 ([-1, 1])
        psnr = 10.0 * ops.log(4.0 / ops.maximum(mse, 1e-10)) / math.log(10.0)
        for key, value in (("loss", loss), ("mse", mse), ("commitment", commitment),
                           ("psnr", psnr), ("perplexity", usage["perplexity"]),
                           ("usage", usage["usage"])):
            self.trackers[key].update_state(value)
        return replica_share(loss)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return multiworker_safe_logs({key: t.result() for key, t in self.trackers.items()})

    def get_config(self):
        return {**super().get_config(), "video_shape": self.video_shape,
                "widths": self.widths, "patch": self.patch, "downsample": self.downsample,
                "blocks": self.blocks, "code_dim": self.code_dim, "num_codes": self.num_codes,
                "commitment": self.commitment, "data_variance": self.data_variance,
                "decay": self.decay, "restart_threshold": self.restart_threshold,
                "causal": self.causal, "groups": self.groups, "seed": self.seed}

"""A VAE that knows *what* moves and *where*: one sprite per clip, moved along a path.

``VideoVAE`` gives each block of a clip its own latent vector: it reconstructs well, but
latents drawn from ``N(0, I)`` do not look like the codes of any clip, so its samples are
noise. ``SpriteVAE`` makes the latent small and gives it a structure that a clip of a moving
object has (Eslami et al. 2016, "Attend, Infer, Repeat"; Jaderberg et al. 2015, spatial
transformers). Its latent vector ``z`` has two parts:

- ``z_what`` (``what_dim`` numbers, and with ``num_classes`` the label): decoded once per clip
  into a sprite, an image of half the frame's side (``image_stream``);
- ``z_where`` (``where_dim`` numbers): decoded into a path, one position per frame, inside
  the frame (``streams.sprite_path``: every position from a temporal generator, or a start
  and velocities that bounce off the frame's edges).

``PlaceSprites`` draws the sprite at each position (bilinear, so the reconstruction is a
smooth function of the position and gradients reach the path). The encoder runs a 2-D
network on every frame, joins the frames' features, and outputs the posterior's means and
log-variances for ``z``. The loss is the ELBO of ``vidgen_tf.models.vae`` (``_VAE``)::

    loss = [ ||x - x_hat||^2 / (2 sigma^2) + beta * KL(q(z|x) || N(0, I)) ] / (values per clip)

A sample draws ``z`` from the prior (``N(0, I)``, or after ``fit_prior`` the Gaussian fitted
to the training clips' codes) and decodes it: the same sprite in every frame, so the object
keeps its identity by construction, moved along a path the decoder learned from the data's
paths.

With ``num_classes`` the VAE is conditional (a CVAE, Sohn et al. 2015): the decoder also gets
the digit's label, embedded and joined to ``z_what``, so ``z_what`` only has to hold the
style (font, slant, thickness) and a sample can be asked for a digit. Batches are then dicts
``{"video": clips, "digits": (B, 1)}``.

Videos are ``(batch, frames, height, width, channels)`` floats in ``[-1, 1]``.
"""

from __future__ import annotations

import numbers

import keras
from keras import layers, ops

from vidgen_tf.layers import BatchToFrames, FramesToBatch, PlaceSprites, SpaceToDepth3D
from vidgen_tf.losses.vae import gaussian_kl
from vidgen_tf.models.streams import (MOTIONS, image_stream, label_embedding,
                                      one_label_per_clip, sprite_path)
from vidgen_tf.models.vae import _VAE


@keras.saving.register_keras_serializable(package="vidgen_tf")
class SpriteVAE(_VAE):
    """A what/where VAE for clips of one moving object.

    Args:
        video_shape: ``(T, H, W, C)``; H = W, a power-of-two multiple of 8.
        what_dim: int. Numbers of ``z`` that draw the sprite.
        where_dim: int. Numbers of ``z`` that draw the path.
        width: int. Channels of the decoder's first (4x4) feature map, halved at each
            upsampling, and of the path generator.
        encoder_widths: channels of the per-frame encoder's strided convolutions.
        num_classes: int. 0: unconditional; else the decoder also takes a label in
            ``[0, num_classes)`` per clip (a conditional VAE; -1, "no label", draws from the
            embedding's null entry).
        motion: ``"positions"`` (the path generator outputs every position),
            ``"bounce"`` (a start and a velocity per frame, the path bouncing off the frame's
            edges) or ``"straight"`` (a start, one direction and one speed, bouncing): see
            ``streams.sprite_path``.
        beta, sigma, seed: as in ``FrameVAE``; ``beta`` weighs the KL of ``z_where``.
        what_beta: float or None. The weight of ``z_what``'s KL (None: ``beta``). A
            conditional VAE draws better samples with it larger than ``beta`` (4 at the
            cpu profile): the label already says which digit to draw, and a ``z_what``
            that paid little for its information would learn the digit too, in a code the
            prior does not cover (samples then draw another digit than the one asked for).

    The KL term trains the codes towards ``N(0, I)``, but they do not fill it: in a run of the
    ``sprite-vae`` recipe with both KL weights at 1 (1500 steps), the z_where codes of 2048
    training clips had standard deviations of 1.8 to 2.7, and samples from ``N(0, I)`` moved
    more slowly than real digits and drew worse ones (the benchmark ``sprite-vae-priors``).
    ``fit_prior(training_clips)`` (``_VAE.fit_prior``) replaces the prior that ``generate``
    draws from by the Gaussian that matches the codes of the training clips.

    Call arguments:
        inputs: clips ``(B, T, H, W, C)``, or a dict ``{"video": clips, "noise": (B,
            what_dim + where_dim), "digits": (B, 1)}`` (``"digits"`` needed, and only
            accepted, with ``num_classes``).

    Returns:
        dict: ``"reconstruction"`` ``(B, T, H, W, C)``; ``"mean"``, ``"log_var"``
        ``(B, what_dim + where_dim)``.

    Example:
        vae = SpriteVAE((16, 32, 32, 1), num_classes=10)
        vae.compile(optimizer="adam")
        vae.fit(make_dataset(MovingDigits(image_size=32, num_digits=1), 16,
                             keys=("digits",)), steps_per_epoch=100, epochs=10)
        clips = vae.generate(10, labels=np.arange(10))     # one clip of each digit
    """

    def __init__(self, video_shape=(16, 32, 32, 1), what_dim=16, where_dim=8, width=128,
                 encoder_widths=(32, 64, 128), num_classes=0, motion="positions", beta=1.0,
                 what_beta=None, sigma=0.1, seed=0, **kwargs):
        super().__init__(beta=beta, sigma=sigma, seed=seed, **kwargs)
        if what_beta is not None and not (isinstance(what_beta, numbers.Real)
                                          and what_beta >= 0):
            raise ValueError(f"SpriteVAE: what_beta must be a number >= 0 (or None), got "
                             f"{what_beta!r}.")
        self.what_beta = self.beta if what_beta is None else float(what_beta)
        self.video_shape = tuple(int(s) for s in video_shape)
        self.what_dim, self.where_dim = int(what_dim), int(where_dim)
        self.width = int(width)
        self.encoder_widths = tuple(int(w) for w in encoder_widths)
        self.num_classes = int(num_classes)
        if motion not in MOTIONS:
            raise ValueError(f"SpriteVAE: motion must be one of {MOTIONS}, got {motion!r}.")
        self.motion = motion
        t, h, w, c = self.video_shape
        side, levels = h // 2, 0
        while side > 4 and side % 2 == 0:
            side, levels = side // 2, levels + 1
        if h != w or side != 4 or levels < 1:
            raise ValueError(f"SpriteVAE: frames must be square with a side of 8 * 2^k (16, "
                             f"32, 64, ...), got {h}x{w}.")
        if h % 2 ** len(self.encoder_widths):
            raise ValueError(f"SpriteVAE: frame side {h} must be divisible by "
                             f"{2 ** len(self.encoder_widths)} (2 ** len(encoder_widths)).")
        if min(self.what_dim, self.where_dim) < 1:
            raise ValueError(f"SpriteVAE: what_dim and where_dim must be >= 1, got "
                             f"{what_dim} and {where_dim}.")
        if self.num_classes < 0:
            raise ValueError(f"SpriteVAE: num_classes must be >= 0, got {num_classes}.")
        self.latent_shape = (self.what_dim + self.where_dim,)
        self.data_shape = self.video_shape
        self.sprite_size = h // 2
        policy = self.dtype_policy
        self.encoder = self._build_encoder(policy)
        self.decoder = self._build_decoder(policy, levels)
        self.build()

    def _build_encoder(self, policy):
        t = self.video_shape[0]
        clips = keras.Input(self.video_shape, name="video")
        x = clips
        for i, width in enumerate(self.encoder_widths):
            # a 2x2 stride-2 convolution of every frame, written as a fold of 2x2 blocks into
            # channels and a dense layer over them: on CPUs its gradient is several times
            # faster than a strided Conv2D's
            x = SpaceToDepth3D((1, 2, 2), dtype=policy, name=f"fold{i}")(x)
            x = layers.Dense(width, activation="silu", dtype=policy, name=f"down{i}")(x)
        x = FramesToBatch(dtype=policy, name="frames_as_batch")(x)
        x = layers.Flatten(dtype=policy)(x)
        x = layers.Dense(64, activation="silu", dtype=policy, name="frame_features")(x)
        x = BatchToFrames(t, dtype=policy, name="frames_as_clips")(x)        # (B, T, 64)
        x = layers.Flatten(dtype=policy)(x)
        x = layers.Dense(256, activation="silu", dtype=policy, name="clip_features")(x)
        # the posterior head in float32 under mixed precision (see VideoVAE)
        stats = layers.Dense(2 * self.latent_shape[0], dtype="float32", name="posterior")(x)
        return keras.Model(clips, stats, name="encoder")

    def _build_decoder(self, policy, levels):
        t, h, _, c = self.video_shape
        what = keras.Input((self.what_dim,), name="z_what")
        where = keras.Input((self.where_dim,), name="z_where")
        inputs = [what, where]
        appearance = what
        if self.num_classes:
            labels = keras.Input((1,), dtype="int32", name="labels")
            inputs.append(labels)
            appearance = layers.Concatenate(dtype=policy, name="what_and_label")(
                [what, label_embedding(labels, self.num_classes, self.what_dim, policy,
                                       "label_embedding", flatten=True)])
        widths = [max(self.width // 2**i, 16) for i in range(levels + 1)]
        sprite = image_stream(appearance, widths, c, policy, "sprite", "to_sprite")
        size = self.sprite_size
        sprite = layers.Reshape((size, size, 1, c), dtype=policy, name="sprites")(sprite)
        positions = sprite_path(where, t, self.width, 1, h - size, self.motion, policy)
        clips = PlaceSprites(h, dtype="float32", name="place")([sprite, positions])
        return keras.Model(inputs, clips, name="decoder")

    def build(self, input_shape=None):
        self._add_prior()             # the encoder and decoder are built functional models
        self.built = True

    # -- labels ----------------------------------------------------------------------------
    def _labels(self, labels, batch=None):
        """Labels as int32 ``(B, 1)``; None for an unconditional VAE. Checked."""
        if not self.num_classes:
            if labels is not None:
                raise ValueError("SpriteVAE: labels given to an unconditional VAE "
                                 "(num_classes=0).")
            return None
        if labels is None:
            raise ValueError(f"SpriteVAE(num_classes={self.num_classes}) needs labels: "
                             f"pass labels=... or batches {{'video': ..., 'digits': (B, 1)}} "
                             f"(make_dataset(..., keys=('digits',))).")
        return one_label_per_clip(labels, "SpriteVAE", self.num_classes, batch, absent=True)

    # -- the VAE's pieces ------------------------------------------------------------------
    def decode(self, z, labels=None, training=False):
        """Clips ``(B, T, H, W, C)`` for latents ``z (B, what_dim + where_dim)`` (and labels
        ``(B,)`` or ``(B, 1)`` with ``num_classes``)."""
        z = ops.convert_to_tensor(z)
        inputs = [z[:, :self.what_dim], z[:, self.what_dim:]]
        labels = self._labels(labels, z.shape[0])
        if labels is not None:
            inputs.append(labels)
        return self.decoder(inputs, training=training)

    def _conditioning(self, inputs):
        """The batch's labels (``inputs["digits"]``) for ``decode``: ``(labels,)``."""
        return (inputs.get("digits") if isinstance(inputs, dict) else None,)

    def reconstruct(self, videos, labels=None):
        """Decode the posterior means of ``videos`` (with their ``labels`` if conditional)."""
        return self.decode(self.encode_mean(videos), labels, training=False)

    def generate(self, num, seed=None, temperature=1.0, labels=None, standard_prior=False):
        """``num`` samples: latents from the prior (``sample_prior``: ``N(0, I)``, or the
        Gaussian ``fit_prior`` fitted; ``N(0, I)`` with ``standard_prior``) decoded, with
        ``labels (num,)`` if conditional (labels drawn uniformly when None)."""
        z = self.sample_prior(num, seed, temperature, standard_prior)
        if self.num_classes and labels is None:
            if isinstance(seed, int):
                label_seed = seed + 1
            else:
                label_seed = self.seed_generator if seed is None else seed
            labels = keras.random.randint((int(num), 1), 0, self.num_classes, seed=label_seed)
        return self.decode(z, labels, training=False)

    def split_latent(self, z):
        """``(z_what, z_where)`` of latents ``z (B, what_dim + where_dim)``."""
        z = ops.convert_to_tensor(z)
        return z[:, :self.what_dim], z[:, self.what_dim:]

    def _kl_terms(self, mean, log_var):
        """Per clip ``(B,)``: the KL of the whole ``z`` (logged as ``kl``), and the loss's
        term ``what_beta * KL(z_what) + beta * KL(z_where)`` (the prior is a standard normal,
        so the KL is a sum over the latent's numbers and splits between the two parts)."""
        w = self.what_dim
        kl_what = gaussian_kl(mean[:, :w], log_var[:, :w])
        kl_where = gaussian_kl(mean[:, w:], log_var[:, w:])
        return kl_what + kl_where, self.what_beta * kl_what + self.beta * kl_where

    def get_config(self):
        return {**super().get_config(), "video_shape": self.video_shape,
                "what_dim": self.what_dim, "where_dim": self.where_dim, "width": self.width,
                "encoder_widths": self.encoder_widths, "num_classes": self.num_classes,
                "motion": self.motion, "what_beta": self.what_beta}

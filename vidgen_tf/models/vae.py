"""Variational autoencoders for frames and for clips (lesson 01).

``FrameVAE`` encodes one frame ``(H, W, C)`` into a vector ``z`` of ``latent_dim`` numbers;
``VideoVAE`` encodes a clip ``(T, H, W, C)`` into a grid of latent vectors
``(T / t, H / h, W / w, latent_channels)``, one per block of the clip, with 3-D (or (2+1)-D)
convolutions. Both are trained by maximising the ELBO (``vidgen_tf.losses.vae``):

    loss = mean over clips of [ ||x - x_hat||^2 / (2 sigma^2) + beta * KL(q(z|x) || N(0, I)) ]
           / (values per clip)

with one reparameterised sample ``z = mean + exp(log_var / 2) * eps`` per clip (the terms
are ``gaussian_nll(..., full=False)``, which leaves out the decoder's constant normaliser,
and ``gaussian_kl``). Calling the model returns a dict: ``"reconstruction"`` (from a sample
when ``training=True``, from the posterior mean otherwise), ``"mean"`` and ``"log_var"``.
``fit`` takes batches of videos (float in ``[-1, 1]``), or dicts ``{"video": ..., "noise":
eps}`` to supply the noise; ``sample_weight`` (one non-negative weight per clip) turns the
mean over clips into a weighted mean.

Videos are ``(batch, frames, height, width, channels)`` floats in ``[-1, 1]``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from vidgen_tf.layers import DepthToSpace3D, ResidualBlock3D, SpaceToDepth3D
from vidgen_tf.losses.vae import gaussian_kl, gaussian_nll, reparameterize
from vidgen_tf.models.distribute import multiworker_safe_logs, replica_share


def _split_inputs(inputs):
    if isinstance(inputs, dict):
        return inputs["video"], inputs.get("noise")
    return inputs, None


def _clip_weights(sample_weight, batch, name):
    """``sample_weight`` as float32 ``(batch,)``: one weight per clip, ``(B,)`` or ``(B, 1)``."""
    weights = ops.cast(ops.convert_to_tensor(sample_weight), "float32")
    shape = tuple(weights.shape)
    if len(shape) == 2 and shape[1] == 1:
        weights = ops.reshape(weights, (-1,))
    elif len(shape) != 1:
        raise ValueError(f"{name}: sample_weight must hold one weight per clip, shape "
                         f"(batch,) or (batch, 1), got {shape}. Per-pixel weights are not "
                         f"supported.")
    if isinstance(batch, int) and weights.shape[0] not in (None, batch):
        raise ValueError(f"{name}: {weights.shape[0]} sample weights for a batch of "
                         f"{batch} clips; give one weight per clip.")
    return weights


def _placeholder_targets(x, y, sample_weight):
    """Zeros ``(N,)`` as targets when arrays come with sample weights and no targets: Keras'
    array adapter drops ``sample_weight`` without ``y`` (it packs ``(x, None, w)`` as ``x``;
    Keras 3.10-3.15). A VAE's target is its input, so the loss never reads them."""
    if sample_weight is None or y is not None:
        return y
    videos = x["video"] if isinstance(x, dict) else x
    if not hasattr(videos, "shape"):       # a dataset: Keras refuses sample_weight itself
        return y
    return np.zeros((int(np.shape(videos)[0]),), "float32")


def _carry_sample_weights(x, y, kwargs):
    """``y`` and ``fit``/``evaluate``'s keyword arguments, with placeholder targets where
    sample weights would otherwise be dropped (also in ``validation_data=(x, None, w)``)."""
    y = _placeholder_targets(x, y, kwargs.get("sample_weight"))
    validation = kwargs.get("validation_data")
    if isinstance(validation, (tuple, list)) and len(validation) == 3:
        vx, vy, vw = validation
        kwargs = {**kwargs, "validation_data": (vx, _placeholder_targets(vx, vy, vw), vw)}
    return y, kwargs


def aggregate_gaussian(means, variances):
    """The mean and covariance of the aggregate posterior ``q(z) = mean_i N(mu_i,
    diag(sigma_i^2))``, the mixture of the posteriors of ``N`` examples:

        m = mean_i mu_i,    C = Cov_i(mu_i) + mean_i diag(sigma_i^2)

    (the law of total covariance; ``Cov_i`` with the unbiased ``1 / (N - 1)``, NumPy's
    ``np.cov``).

    Args:
        means, variances: arrays ``(N, D)``: the posteriors' means and variances.

    Returns:
        ``(m (D,), C (D, D))``, float64.
    """
    means = np.asarray(means, np.float64)
    variances = np.asarray(variances, np.float64)
    if means.ndim != 2 or means.shape != variances.shape or len(means) < 2:
        raise ValueError(f"aggregate_gaussian: means and variances must both be (N, D) with "
                         f"N >= 2, got {means.shape} and {variances.shape}.")
    covariance = np.atleast_2d(np.cov(means, rowvar=False)) + np.diag(variances.mean(axis=0))
    return means.mean(axis=0), covariance


class _VAE(keras.Model):
    """What both VAEs share: sampling, encoding and decoding, the loss, metrics and
    generation.

    A subclass makes, in ``__init__`` and before calling ``self.build()``, the ``encoder``
    (data ``(B,) + data_shape`` -> ``(B,) + latent_shape`` with ``2 * channels``: means and
    log-variances along the last axis), the ``decoder`` (latents ``(B,) + latent_shape`` ->
    data) and the two shapes ``data_shape`` and ``latent_shape``.
    """

    def __init__(self, beta=1.0, sigma=0.1, seed=0, **kwargs):
        super().__init__(**kwargs)
        if not beta >= 0:
            raise ValueError(f"{type(self).__name__}: beta must be >= 0, got {beta}.")
        if not sigma > 0:
            raise ValueError(f"{type(self).__name__}: sigma must be > 0, got {sigma}.")
        self.beta = float(beta)
        self.sigma = float(sigma)
        self.seed = int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="noise")
        self.reconstruction_tracker = keras.metrics.Mean(name="mse")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def build(self, input_shape=None):
        self.encoder.build((None,) + tuple(self.data_shape))
        self.decoder.build((None,) + tuple(self.latent_shape))
        self._add_prior()
        self.built = True

    # -- the prior samples are drawn from --------------------------------------------------
    def _add_prior(self):
        """With a vector latent ``(D,)``: the prior ``generate`` draws from, ``N(prior_mean,
        prior_scale prior_scale^T)``, two non-trainable weights (saved with the model): a
        standard normal (zeros, identity) until ``fit_prior`` replaces it."""
        if len(self.latent_shape) != 1 or getattr(self, "prior_mean", None) is not None:
            return
        d = int(self.latent_shape[0])
        self.prior_mean = self.add_weight(shape=(d,), initializer="zeros", trainable=False,
                                          dtype="float32", name="prior_mean")
        self.prior_scale = self.add_weight(shape=(d, d), initializer="identity",
                                           trainable=False, dtype="float32",
                                           name="prior_scale")

    def load_own_variables(self, store):
        """Keras' loading of the model's own weights (the prior's), also from files saved
        before the VAEs had a fitted prior: those hold none, and load with the standard
        normal prior (``fit_prior`` fits it again)."""
        if getattr(self, "prior_mean", None) is not None and not len(store.keys()):
            self.reset_prior()
            return
        super().load_own_variables(store)

    def _check_vector_latent(self, what):
        if len(self.latent_shape) != 1:
            raise ValueError(
                f"{type(self).__name__}.{what}: a Gaussian prior fitted to the codes needs a "
                f"vector latent; this model's latent is a grid {tuple(self.latent_shape)} "
                f"({math.prod(self.latent_shape)} numbers, a covariance of "
                f"{math.prod(self.latent_shape) ** 2} entries). A grid of codes needs a "
                f"learned prior (lesson 05).")

    def fit_prior(self, videos, batch_size=128):
        """Replace the standard normal prior by the Gaussian that matches the aggregate
        posterior of ``videos``: ``q(z) = mean_i q(z | x_i)``, whose mean and covariance are

            m = mean_i mu_i,    C = Cov_i(mu_i) + mean_i diag(sigma_i^2)

        (``mu_i``, ``sigma_i^2``: the posterior's means and variances of clip ``i``). A VAE's
        codes of real data need not fill ``N(0, I)``: where they do not, samples drawn from
        it decode to what the training data never showed. ``generate`` then draws
        ``z = m + temperature * L eps`` with ``L L^T = C``. This is "ex-post density
        estimation" (Ghosh et al. 2020, "From variational to deterministic autoencoders")
        with a single full-covariance Gaussian.

        Args:
            videos: array ``(N,) + data_shape`` of training data (``N`` larger than the
                latent size, a few thousand for a 24-number latent).
            batch_size: int. Clips encoded at once.

        Returns:
            dict: ``"mean"`` ``(D,)`` and ``"covariance"`` ``(D, D)`` (float64 NumPy).

        Raises:
            ValueError: the latent is a grid, not a vector; fewer than ``D + 1`` clips; or
                the clips do not have the model's ``data_shape``.
        """
        self._check_vector_latent("fit_prior")
        videos = np.asarray(videos)
        d = int(self.latent_shape[0])
        if videos.shape[1:] != tuple(self.data_shape):
            raise ValueError(f"{type(self).__name__}.fit_prior: videos must have shape "
                             f"(N,) + {tuple(self.data_shape)}, got {videos.shape}.")
        if len(videos) <= d:
            raise ValueError(f"{type(self).__name__}.fit_prior: {len(videos)} clips for a "
                             f"{d}-number latent; give more than {d} (a few thousand).")
        means, variances = [], []
        for start in range(0, len(videos), int(batch_size)):
            mean, log_var = self.encode(ops.convert_to_tensor(
                videos[start:start + int(batch_size)], "float32"), training=False)
            means.append(np.asarray(mean, np.float64))
            variances.append(np.exp(np.asarray(log_var, np.float64)))
        mean, covariance = aggregate_gaussian(np.concatenate(means), np.concatenate(variances))
        # a jitter of 1e-6 of the average variance keeps the Cholesky factor defined when a
        # code number never varies (a collapsed dimension)
        jitter = 1e-6 * max(float(np.trace(covariance)) / d, 1e-12)
        scale = np.linalg.cholesky(covariance + jitter * np.eye(d))
        self.prior_mean.assign(mean.astype("float32"))
        self.prior_scale.assign(scale.astype("float32"))
        return {"mean": mean, "covariance": covariance}

    def reset_prior(self):
        """Back to the standard normal prior ``N(0, I)``."""
        self._check_vector_latent("reset_prior")
        d = int(self.latent_shape[0])
        self.prior_mean.assign(np.zeros((d,), "float32"))
        self.prior_scale.assign(np.eye(d, dtype="float32"))

    def sample_prior(self, num, seed=None, temperature=1.0, standard=False):
        """``num`` latents from the prior: ``N(0, temperature^2 I)`` for a grid latent or with
        ``standard`` (the prior the KL term trains towards), else ``prior_mean + temperature *
        prior_scale eps`` (a standard normal until ``fit_prior``)."""
        eps = keras.random.normal((int(num),) + tuple(self.latent_shape),
                                  seed=self.seed_generator if seed is None else seed)
        if standard or len(self.latent_shape) != 1:
            return eps * temperature
        return self.prior_mean + temperature * ops.matmul(eps, ops.transpose(
            self.prior_scale))

    def encode(self, videos, training=False):
        """The posterior's means and log-variances (float32, log-variances clipped to
        ``[-30, 20]`` so that ``exp`` stays finite)."""
        stats = ops.cast(self.encoder(videos, training=training), "float32")
        mean, log_var = ops.split(stats, 2, axis=-1)
        return mean, ops.clip(log_var, -30.0, 20.0)

    def decode(self, z, training=False):
        """The decoder's means ``x_hat`` for latents ``z``."""
        return self.decoder(z, training=training)

    def _conditioning(self, inputs):
        """What the decoder takes besides ``z`` from a batch (a conditional VAE's labels, as a
        tuple of positional arguments of ``decode``); nothing here."""
        return ()

    def call(self, inputs, training=False):
        videos, noise = _split_inputs(inputs)
        mean, log_var = self.encode(videos, training=training)
        if training:
            if noise is None:
                noise = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
            z = reparameterize(mean, log_var, ops.cast(noise, mean.dtype))
        else:
            z = mean
        reconstruction = self.decode(z, *self._conditioning(inputs), training=training)
        return {"reconstruction": reconstruction, "mean": mean, "log_var": log_var}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The negative ELBO per value, averaged over the batch (see the module docstring).

        With ``sample_weight`` (one non-negative weight per clip, ``(B,)`` or ``(B, 1)``) the
        average is the weighted mean ``sum(w * loss) / sum(w)`` (0 if every weight is 0),
        and the logged ``mse`` and ``kl`` are weighted alike. Under a distribution strategy
        each replica's weighted mean counts equally.
        """
        videos, _ = _split_inputs(x)
        videos = ops.cast(videos, "float32")
        values = math.prod(videos.shape[1:])
        # per clip, -elbo(..., full=False): ||x - x_hat||^2 / (2 sigma^2) + the KL weighted
        # by beta (_kl_terms: a model may weigh parts of its latent differently)
        nll = gaussian_nll(videos, y_pred["reconstruction"], self.sigma, full=False)
        kl, weighted_kl = self._kl_terms(y_pred["mean"], y_pred["log_var"])
        negative_elbo = nll + weighted_kl
        mse = nll * (2 * self.sigma**2) / values
        if sample_weight is None:
            loss = ops.mean(negative_elbo) / values
            weights = None
        else:
            weights = _clip_weights(sample_weight, videos.shape[0], type(self).__name__)
            loss = ops.divide_no_nan(ops.sum(weights * negative_elbo), ops.sum(weights)) / values
        self.reconstruction_tracker.update_state(mse, sample_weight=weights)
        self.kl_tracker.update_state(kl, sample_weight=weights)
        return replica_share(loss)

    def _kl_terms(self, mean, log_var):
        """Per clip ``(B,)``: ``KL(q(z|x) || N(0, I))`` (logged as ``kl``) and the term the
        loss adds, ``beta * KL``."""
        kl = gaussian_kl(mean, log_var)
        return kl, self.beta * kl

    def fit(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.fit``, with ``sample_weight`` (one weight per clip) honoured."""
        y, kwargs = _carry_sample_weights(x, y, kwargs)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """``keras.Model.evaluate``, with ``sample_weight`` (one weight per clip) honoured."""
        y, kwargs = _carry_sample_weights(x, y, kwargs)
        return super().evaluate(x, y, *args, **kwargs)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return multiworker_safe_logs(super().compute_metrics(x, y, y_pred, sample_weight))

    def encode_mean(self, videos):
        """The posterior means of ``videos`` (the latent codes used for interpolation)."""
        return self.encode(ops.convert_to_tensor(videos), training=False)[0]

    def reconstruct(self, videos):
        """Decode the posterior means: the deterministic reconstruction of ``videos``."""
        return self.decode(self.encode_mean(videos), training=False)

    def generate(self, num, seed=None, temperature=1.0, standard_prior=False):
        """``num`` samples: latents from the prior (``sample_prior``: ``N(0, I)``, or the
        Gaussian ``fit_prior`` fitted) decoded.

        Args:
            num: int. How many.
            seed: optional int for repeatable samples.
            temperature: float. Scale of the prior noise (below 1: more typical samples).
            standard_prior: bool. Draw from ``N(0, I)`` even when a prior was fitted.
        """
        return self.decode(self.sample_prior(num, seed, temperature, standard_prior),
                           training=False)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta, "sigma": self.sigma,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class FrameVAE(_VAE):
    """A convolutional VAE for single frames with a vector latent.

    Args:
        image_shape: ``(H, W, C)``; H and W divisible by ``2 ** len(widths)``.
        latent_dim: int. Size of ``z``.
        widths: channels of the strided convolutions (each halves H and W).
        output_activation: the decoder's last activation. ``"linear"`` (the Gaussian mean
            may take any value; displays clip it) trains reliably; with ``"tanh"`` a decoder
            can saturate at black on sparse digit frames and stay there.
        beta, sigma: weight of the KL term; standard deviation of the decoder (in ``[-1, 1]``
            pixel units).
        seed: int. Seed of the sampling noise.

    Call arguments:
        inputs: ``(B, H, W, C)`` frames, or ``{"video": frames, "noise": (B, latent_dim)}``.

    Returns:
        dict: ``"reconstruction"`` ``(B, H, W, C)``, ``"mean"`` and ``"log_var"``
        ``(B, latent_dim)``.

    Example:
        vae = FrameVAE((32, 32, 1), latent_dim=16)
        vae.compile(optimizer="adam")
        vae.fit(frames, epochs=5)        # frames: (N, 32, 32, 1) in [-1, 1]
    """

    def __init__(self, image_shape=(32, 32, 1), latent_dim=16, widths=(32, 64, 128),
                 output_activation="linear", beta=1.0, sigma=0.1, seed=0, **kwargs):
        super().__init__(beta=beta, sigma=sigma, seed=seed, **kwargs)
        self.output_activation = output_activation
        self.image_shape = tuple(int(s) for s in image_shape)
        self.latent_dim = int(latent_dim)
        self.widths = tuple(int(w) for w in widths)
        h, w, c = self.image_shape
        factor = 2 ** len(self.widths)
        if h % factor or w % factor:
            raise ValueError(f"FrameVAE: image size {h}x{w} must be divisible by {factor} "
                             f"(2 ** len(widths)).")
        self.latent_shape = (self.latent_dim,)
        self.data_shape = self.image_shape
        policy = self.dtype_policy
        self.encoder = keras.Sequential(
            [layers.Input(self.image_shape)]
            + [layers.Conv2D(width, 4, strides=2, padding="same", activation="silu",
                             dtype=policy) for width in self.widths]
            # the posterior head in float32 under mixed precision (see VideoVAE)
            + [layers.Flatten(dtype=policy),
               layers.Dense(2 * self.latent_dim, dtype="float32", name="posterior")],
            name="encoder")
        small = (h // factor, w // factor, self.widths[-1])
        self.decoder = keras.Sequential(
            [layers.Input((self.latent_dim,)),
             layers.Dense(math.prod(small), activation="silu", dtype=policy),
             layers.Reshape(small, dtype=policy)]
            + [layers.Conv2DTranspose(width, 4, strides=2, padding="same", activation="silu",
                                      dtype=policy) for width in self.widths[-2::-1]]
            + [layers.Conv2DTranspose(c, 4, strides=2, padding="same",
                                      activation=output_activation, dtype="float32",
                                      name="output")],
            name="decoder")
        self.build()

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape,
                "latent_dim": self.latent_dim, "widths": self.widths,
                "output_activation": self.output_activation}


@keras.saving.register_keras_serializable(package="vidgen_tf")
class VideoVAE(_VAE):
    """A convolutional VAE for clips with a spatio-temporal grid of latents.

    The encoder folds ``patch`` blocks into channels (``SpaceToDepth3D``), then runs a
    residual stage per entry of ``widths``, each but the last followed by a downsampling that
    halves H and W (and T, for the first ``time_downsamples`` of them): ``SpaceToDepth3D``
    then a 1x1x1 convolution, which on CPUs is much faster to train than a strided Conv3D
    (whose gradients take a slow path). The decoder mirrors it with sub-pixel upsampling (a
    1x1x1 convolution to 8 times the channels, then ``DepthToSpace3D``; the residual stage
    after it mixes neighbours), which is cheap and avoids the checkerboard artefacts of
    transposed convolutions. Under mixed precision the posterior head and the output layers
    compute in float32.

    Args:
        video_shape: ``(T, H, W, C)``.
        latent_channels: int. Channels of the latent grid.
        widths: channels of the residual stages, one per resolution.
        patch: ``(t, h, w)`` folded into channels at the input.
        time_downsamples: int. How many of the downsampling steps also halve T.
        kind: ``"conv3d"`` or ``"2plus1d"`` convolutions in the residual blocks.
        groups: int. GroupNorm groups.
        beta, sigma, seed: as in ``FrameVAE``.

    Call arguments:
        inputs: ``(B, T, H, W, C)`` clips, or ``{"video": clips, "noise": eps}`` with ``eps``
            of the latent grid's shape.

    Returns:
        dict: ``"reconstruction"`` ``(B, T, H, W, C)``; ``"mean"``, ``"log_var"``
        ``(B,) + latent_shape``.

    Example:
        vae = VideoVAE((16, 64, 64, 1))
        vae.latent_shape         # (8, 8, 8, 8): 4096 numbers for 65536 pixels
    """

    def __init__(self, video_shape=(16, 64, 64, 1), latent_channels=8, widths=(64, 128),
                 patch=(1, 4, 4), time_downsamples=1, kind="conv3d", groups=8, beta=1.0,
                 sigma=0.1, seed=0, **kwargs):
        super().__init__(beta=beta, sigma=sigma, seed=seed, **kwargs)
        self.video_shape = tuple(int(s) for s in video_shape)
        self.latent_channels = int(latent_channels)
        self.widths = tuple(int(w) for w in widths)
        self.patch = tuple(int(p) for p in patch)
        self.time_downsamples = int(time_downsamples)
        self.kind = kind
        self.groups = int(groups)
        t, h, w, c = self.video_shape
        downs = len(self.widths) - 1
        if not 0 <= self.time_downsamples <= downs:
            raise ValueError(f"VideoVAE: time_downsamples must be in [0, {downs}], got "
                             f"{time_downsamples}.")
        strides = [(2 if i < self.time_downsamples else 1, 2, 2) for i in range(downs)]
        ft = self.patch[0] * 2 ** self.time_downsamples
        fs = (self.patch[1] * 2 ** downs, self.patch[2] * 2 ** downs)
        if t % ft or h % fs[0] or w % fs[1]:
            raise ValueError(f"VideoVAE: video_shape {self.video_shape} is not divisible by "
                             f"the total downsampling (t, h, w) = {(ft, fs[0], fs[1])}.")
        self.latent_shape = (t // ft, h // fs[0], w // fs[1], self.latent_channels)
        self.data_shape = self.video_shape
        policy = self.dtype_policy
        block = lambda width, name: ResidualBlock3D(width, kind=kind, groups=self.groups,
                                                    name=name, dtype=policy)
        encoder = [layers.Input(self.video_shape), SpaceToDepth3D(self.patch, dtype=policy),
                   layers.Conv3D(self.widths[0], 3, padding="same", dtype=policy)]
        for i, width in enumerate(self.widths):
            encoder.append(block(width, f"stage{i}"))
            if i < downs:
                # downsampling: fold (t, 2, 2) blocks into channels, project with a 1x1x1
                # convolution (the decoder's upsampling mirrored; no strided Conv3D)
                encoder += [SpaceToDepth3D(strides[i], dtype=policy),
                            layers.Conv3D(self.widths[i + 1], 1, dtype=policy)]
        # the head that outputs the posterior's means and log-variances computes in float32
        # under mixed precision: exp(log_var) and the KL term must not see bfloat16 or
        # float16 rounding (Keras' mixed-precision guide: keep the outputs in float32)
        encoder += [layers.GroupNormalization(self.groups, dtype=policy),
                    layers.Activation("silu", dtype=policy),
                    layers.Conv3D(2 * self.latent_channels, 3, padding="same", dtype="float32",
                                  name="posterior")]
        self.encoder = keras.Sequential(encoder, name="encoder")
        decoder = [layers.Input(self.latent_shape),
                   layers.Conv3D(self.widths[-1], 3, padding="same", dtype=policy)]
        for i in reversed(range(len(self.widths))):
            decoder.append(block(self.widths[i], f"stage{i}"))
            if i > 0:
                st, sh, sw = strides[i - 1]
                decoder += [layers.Conv3D(self.widths[i - 1] * st * sh * sw, 1, dtype=policy),
                            DepthToSpace3D(strides[i - 1], dtype=policy)]
        decoder += [layers.GroupNormalization(self.groups, dtype=policy),
                    layers.Activation("silu", dtype=policy),
                    # the output (the decoder's mean, compared with the data in the loss) in
                    # float32, like the posterior head
                    layers.Conv3D(c * math.prod(self.patch), 3, padding="same",
                                  dtype="float32", name="output"),
                    DepthToSpace3D(self.patch, dtype="float32"),
                    layers.Activation("tanh", dtype="float32")]
        self.decoder = keras.Sequential(decoder, name="decoder")
        self.build()

    def get_config(self):
        return {**super().get_config(), "video_shape": self.video_shape,
                "latent_channels": self.latent_channels, "widths": self.widths,
                "patch": self.patch, "time_downsamples": self.time_downsamples,
                "kind": self.kind, "groups": self.groups}

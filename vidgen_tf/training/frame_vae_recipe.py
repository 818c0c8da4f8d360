"""The ``frame-vae-beta*`` recipes: lesson 01's first model, a ``FrameVAE`` on single frames.

One recipe per KL weight the lesson compares, ``frame-vae-beta1``, ``frame-vae-beta64`` and
``frame-vae-beta2048``: a 16-number latent, a Gaussian decoder with ``sigma = 0.1``, Adam at
2e-3, batches of 64 frames of one moving digit at 32x32 (the frames of 4-frame clips, so the
four frames of a clip share a batch, as the lesson's first version trained them). At the cpu
profile, 2048 steps (16 passes over 8192 frames in that version, which took 809 s for the
three on two cores). ``evaluate`` scores 256 held-out frames: reconstruction MSE and PSNR, the
KL per frame, and the mean pixel of 256 samples (real frames are mostly black: about -0.9).

Frames are ``(batch, height, width, channels)`` floats in ``[-1, 1]``.
"""

from __future__ import annotations

import functools

import numpy as np

from vidgen_tf.training.recipes import Recipe, register

BETAS = (1.0, 64.0, 2048.0)
FRAME_SIZE = 32
CLIP_FRAMES = 4


def recipe_name(beta):
    """``frame-vae-beta1`` for ``beta = 1.0``."""
    return f"frame-vae-beta{beta:g}"


def _source(profile, split):
    from vidgen_tf.data import MovingDigits

    return MovingDigits(num_frames=CLIP_FRAMES, image_size=FRAME_SIZE, num_digits=1,
                        split=split)


def _batch_size(profile):
    return profile.pick(smoke=16, cpu=64, gpu=64)


def frames(profile, split, count):
    """``count`` frames ``(count, 32, 32, 1)`` (float) of one moving digit, from ``split``."""
    from vidgen_tf.data import to_float

    clips = _source(profile, split).generate(-(-count // CLIP_FRAMES))["video"]
    return np.asarray(to_float(clips.reshape((-1, FRAME_SIZE, FRAME_SIZE, 1))))[:count]


def build(profile, beta):
    import keras

    from vidgen_tf.models import FrameVAE

    model = FrameVAE((FRAME_SIZE, FRAME_SIZE, 1), latent_dim=profile.pick(smoke=4, cpu=16,
                                                                           gpu=16),
                     beta=beta, sigma=0.1)
    model.compile(optimizer=keras.optimizers.Adam(2e-3), jit_compile=profile.jit_compile)
    model.optimizer.build(model.trainable_variables)
    return model


def data(profile, first_step=0):
    """Batches of frames ``(64, 32, 32, 1)``: the frames of 16 clips, from the batch of
    ``first_step``."""
    import tensorflow as tf

    from vidgen_tf.data import make_dataset

    clips = _batch_size(profile) // CLIP_FRAMES
    dataset = make_dataset(_source(profile, "train"), clips, start=first_step * clips,
                           shuffle=False)
    return dataset.map(lambda v: tf.reshape(v, (-1, FRAME_SIZE, FRAME_SIZE, 1)))


def monitor(model, profile):
    """Eight held-out frames, their reconstructions and eight samples, as one-frame clips."""
    test = frames(profile, "val", 8)
    shown = np.concatenate([test, np.asarray(model.reconstruct(test)),
                            np.asarray(model.generate(8, seed=0))])
    return shown[:, None]


def evaluate(model, profile):
    """Held-out reconstruction MSE, PSNR and KL per frame, and the samples' mean pixel."""
    from vidgen_tf.losses.vae import gaussian_kl
    from vidgen_tf.metrics import psnr

    test = frames(profile, "test", 256)
    out = model(test, training=False)
    recon = np.asarray(out["reconstruction"], np.float64)
    kl = np.asarray(gaussian_kl(out["mean"], out["log_var"]))
    samples = np.asarray(model.generate(256, seed=1))
    return {"heldout_frames": len(test),
            "heldout_mse": float(np.mean((test - recon) ** 2)),
            "heldout_psnr_db": float(np.mean(psnr(test[:, None], recon[:, None]))),
            "heldout_kl_nats": float(np.mean(kl)),
            "test_mean_pixel": float(test.mean()),
            "samples_mean_pixel": float(samples.mean())}


for _beta in BETAS:
    register(Recipe(
        name=recipe_name(_beta),
        description=f"FrameVAE on single frames of one moving digit, beta={_beta:g} "
                    f"(lesson 01)",
        build=functools.partial(build, beta=_beta), data=data,
        steps=lambda p: p.pick(smoke=4, cpu=2048, gpu=5120),
        steps_per_epoch=lambda p: p.pick(smoke=2, cpu=128, gpu=256),
        batch_size=_batch_size, monitor=monitor, evaluate=evaluate,
        variant_of=None if _beta == BETAS[0] else recipe_name(BETAS[0])))

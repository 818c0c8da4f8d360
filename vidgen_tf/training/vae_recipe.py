"""The ``vae`` recipe: a ``VideoVAE`` on two moving digits (lesson 01).

Profiles: ``smoke`` trains a tiny model for a few steps on 8 frames of 32x32; ``cpu`` and
``gpu`` train at 16 frames of 64x64, the quality bar's setting (held-out reconstruction
PSNR >= 21 dB), the cpu profile within 15 minutes on two cores.
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.training.recipes import (Recipe, heldout_psnr, register, sample_in_batches,
                                        synthetic_stream)

NUM_DIGITS = 2


def _source(profile, split, seed=0):
    from vidgen_tf.data import MovingDigits

    return MovingDigits(num_frames=profile.num_frames, image_size=profile.image_size,
                        num_digits=NUM_DIGITS, seed=seed, split=split)


def _batch_size(profile):
    return profile.pick(smoke=4, cpu=16, gpu=32)


def build(profile):
    import keras

    from vidgen_tf.models import VideoVAE

    shape = (profile.num_frames, profile.image_size, profile.image_size, 1)
    model = VideoVAE(shape, **profile.pick(
        smoke=dict(widths=(16, 32), latent_channels=4, groups=4),
        # 2 frames x 8 x 8 pixels folded into channels, one (2+1)-D residual stage at 8x8x8:
        # 0.46 s per step of 16 clips on 2 cores (a 3-D stage at 16x16 took 2-5 s)
        cpu=dict(widths=(64,), patch=(2, 8, 8), time_downsamples=0, latent_channels=8,
                 kind="2plus1d"),
        gpu=dict(widths=(128, 128), patch=(2, 4, 4), time_downsamples=0, latent_channels=8)),
        beta=1.0, sigma=0.1)
    model.compile(optimizer=keras.optimizers.Adam(profile.pick(smoke=1e-3, cpu=2e-3, gpu=1e-3)),
                  jit_compile=profile.jit_compile)
    model.optimizer.build(model.trainable_variables)
    return model


def data(profile, first_step=0):
    return synthetic_stream(_source(profile, "train"), _batch_size(profile), first_step)


def monitor(model, profile):
    """Four held-out clips beside their reconstructions, then four samples."""
    from vidgen_tf.data import to_float

    clips = np.asarray(to_float(_source(profile, "val").generate(4)["video"]))
    recon = np.asarray(model.reconstruct(clips))
    samples = np.asarray(model.generate(4, seed=0))
    return np.concatenate([clips, recon, samples])


def evaluate(model, profile):
    """Held-out reconstruction PSNR and the evaluation kit's scores of the samples."""
    from vidgen_tf.data import to_float

    count = profile.pick(smoke=8, cpu=256, gpu=1024)
    clips = np.asarray(to_float(_source(profile, "test").generate(count)["video"]))
    scores = {"heldout_psnr_db": heldout_psnr(model.reconstruct, clips),
              "heldout_clips": count}
    setting = evaluation_setting(profile)
    if setting is not None:
        from vidgen_tf.metrics.baselines import evaluate as evaluate_samples

        samples = sample_in_batches(model.generate, setting.num_generated)
        scores["samples"] = evaluate_samples(samples, setting)
    return scores


def evaluation_setting(profile):
    """The evaluation kit's setting for this profile's samples (None at smoke)."""
    if profile.name == "smoke":
        return None
    from vidgen_tf.metrics.baselines import SETTINGS

    return SETTINGS["digits-2-64"]


register(Recipe(
    name="vae",
    description="VideoVAE on two moving digits (lesson 01)",
    build=build, data=data,
    steps=lambda p: p.pick(smoke=4, cpu=1800, gpu=20000),
    steps_per_epoch=lambda p: p.pick(smoke=2, cpu=100, gpu=500),
    batch_size=_batch_size, monitor=monitor, evaluate=evaluate))

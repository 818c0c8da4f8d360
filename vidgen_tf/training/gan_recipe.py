"""The ``gan`` recipe: a ``VideoGAN`` on moving digits (lesson 02).

The cpu profile trains on the simpler slice the evaluation kit calls ``digits-1-32`` (one
digit per clip, 32x32, 16 frames) so that a quarter of an hour on two cores gives readable
digits; the gpu profile trains on two digits at 64x64 (``digits-2-64``). Samples are scored
with the kit in the same setting.

The generator is the sprite generator (one sprite per digit, moved along a generated path):
in the same 14 minutes at the cpu profile, the temporal (TGAN) generator, which redraws every
frame, covered 3 of 10 digit classes and kept a digit's identity in 5 % of its clips; the
sprite generator draws each clip's digit once and runs about twice as many steps (3200 in
14-15 minutes) to a proxy FVD of 109 against 344, with all ten digits. The cpu profile runs
3000 steps, to stay within 15 minutes on a slower run of the machine (3200 took 823-926 s).
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.training.recipes import Recipe, register, sample_in_batches, synthetic_stream


def setting(profile):
    """The evaluation setting (data and sample counts) of the profile."""
    from vidgen_tf.metrics.baselines import SETTINGS, EvalSetting

    if profile.name == "smoke":
        return EvalSetting("digits", 1, 32, num_frames=8, num_generated=8, num_reference=16)
    return SETTINGS["digits-1-32" if profile.name == "cpu" else "digits-2-64"]


def _batch_size(profile):
    # at the cpu profile, 8 clips per step: in the same 14 minutes, 3200 steps of 8 clips
    # scored a proxy FVD of 109 against 151 for 1800 steps of 16
    return profile.pick(smoke=4, cpu=8, gpu=32)


def build(profile):
    import keras

    from vidgen_tf.models import VideoGAN

    s = setting(profile)
    model = VideoGAN((s.num_frames, s.image_size, s.image_size, 1), **profile.pick(
        smoke=dict(latent_dim=16, generator_width=32, discriminator_width=8),
        cpu=dict(latent_dim=64, generator_width=256, discriminator_width=32),
        gpu=dict(latent_dim=128, generator_width=512, discriminator_width=64)),
        generator="sprite", num_sprites=int(np.max(s.num_objects)), loss="hinge",
        r1_gamma=1.0, r1_every=4)
    # two time-scale learning rates (TTUR): the discriminator learns faster
    model.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.99),
                  discriminator_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.99),
                  jit_compile=profile.jit_compile)
    return model


def data(profile, first_step=0):
    return synthetic_stream(setting(profile).source("train"), _batch_size(profile), first_step)


def monitor(model, profile):
    return np.asarray(model.generate(8, seed=0))


def evaluate(model, profile):
    """The evaluation kit's scores of ``num_generated`` samples in the profile's setting."""
    from vidgen_tf.metrics.baselines import evaluate as evaluate_samples

    s = setting(profile)
    samples = sample_in_batches(model.generate, s.num_generated)
    return {"setting": s.name, "samples": evaluate_samples(samples, s)}


register(Recipe(
    name="gan",
    description="VideoGAN (sprite generator, video and frame discriminators) on moving "
                "digits (lesson 02)",
    build=build, data=data,
    steps=lambda p: p.pick(smoke=4, cpu=3000, gpu=40000),
    steps_per_epoch=lambda p: p.pick(smoke=2, cpu=100, gpu=1000),
    batch_size=_batch_size, monitor=monitor, evaluate=evaluate,
    ema_decay=0.999, ema_attribute="generator"))

"""The ``vae`` recipes: a ``VideoVAE`` on moving digits (lesson 01).

``vae``: two digits per clip. Profiles: ``smoke`` trains a tiny model for a few steps on 8
frames of 32x32; ``cpu`` and ``gpu`` train at 16 frames of 64x64, the quality bar's setting
(held-out reconstruction PSNR >= 21 dB), the cpu profile within 15 minutes on two cores.

``vae-digits-1-32``: the same model and training on one digit per clip at 32x32, the slice
the ``gan`` recipe trains on at the cpu profile, so that their samples can be compared in one
evaluation setting (``digits-1-32``).
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.training.recipes import (Recipe, heldout_psnr, register, sample_in_batches,
                                        synthetic_stream)

import functools


def _image_size(profile, single):
    return min(profile.image_size, 32) if single else profile.image_size


def _source(profile, split, seed=0, single=False):
    from vidgen_tf.data import MovingDigits

    return MovingDigits(num_frames=profile.num_frames, image_size=_image_size(profile, single),
                        num_digits=1 if single else 2, seed=seed, split=split)


def _batch_size(profile):
    return profile.pick(smoke=4, cpu=16, gpu=32)


def build(profile, single=False):
    import keras

    from vidgen_tf.models import VideoVAE

    size = _image_size(profile, single)
    shape = (profile.num_frames, size, size, 1)
    model = VideoVAE(shape, **profile.pick(
        smoke=dict(widths=(16, 32), latent_channels=4, groups=4),
        # 2 frames x 8 x 8 pixels folded into channels (2 x 4 x 4 at 32x32), one (2+1)-D
        # residual stage at 8x8x8: 0.35 s per step of 16 clips on 2 cores (a 3-D stage at
        # 16x16 took 2-5 s)
        cpu=dict(widths=(64,), patch=(2, 4, 4) if single else (2, 8, 8), time_downsamples=0,
                 latent_channels=8, kind="2plus1d"),
        gpu=dict(widths=(128, 128), patch=(2, 4, 4), time_downsamples=0, latent_channels=8)),
        beta=1.0, sigma=0.1)
    model.compile(optimizer=keras.optimizers.Adam(profile.pick(smoke=1e-3, cpu=2e-3, gpu=1e-3)),
                  jit_compile=profile.jit_compile)
    model.optimizer.build(model.trainable_variables)
    return model


def data(profile, first_step=0, single=False):
    return synthetic_stream(_source(profile, "train", single=single), _batch_size(profile),
                            first_step)


def monitor(model, profile, single=False):
    """Four held-out clips beside their reconstructions, then four samples."""
    from vidgen_tf.data import to_float

    clips = np.asarray(to_float(_source(profile, "val", single=single).generate(4)["video"]))
    recon = np.asarray(model.reconstruct(clips))
    samples = np.asarray(model.generate(4, seed=0))
    return np.concatenate([clips, recon, samples])


def evaluate(model, profile, single=False):
    """Held-out reconstruction PSNR and the evaluation kit's scores of the samples."""
    from vidgen_tf.data import to_float

    count = profile.pick(smoke=8, cpu=256, gpu=1024)
    clips = np.asarray(to_float(_source(profile, "test", single=single).generate(count)["video"]))
    scores = {"heldout_psnr_db": heldout_psnr(model.reconstruct, clips),
              "heldout_clips": count}
    setting = evaluation_setting(profile, single)
    if setting is not None:
        from vidgen_tf.metrics.baselines import evaluate as evaluate_samples

        samples = sample_in_batches(model.generate, setting.num_generated, seed=0)  # repeatable
        scores["samples"] = evaluate_samples(samples, setting)
    return scores


def evaluation_setting(profile, single=False):
    """The evaluation kit's setting for this profile's samples (None at smoke)."""
    if profile.name == "smoke":
        return None
    from vidgen_tf.metrics.baselines import SETTINGS

    return SETTINGS["digits-1-32" if single else "digits-2-64"]


for _name, _single, _what in (("vae", False, "two moving digits"),
                              ("vae-digits-1-32", True, "one moving digit at 32x32")):
    register(Recipe(
        name=_name,
        description=f"VideoVAE on {_what} (lesson 01)",
        build=functools.partial(build, single=_single),
        data=functools.partial(data, single=_single),
        steps=lambda p: p.pick(smoke=4, cpu=1800, gpu=20000),
        steps_per_epoch=lambda p: p.pick(smoke=2, cpu=100, gpu=500),
        batch_size=_batch_size, monitor=functools.partial(monitor, single=_single),
        evaluate=functools.partial(evaluate, single=_single),
        # the same model and code at another frame size and patch: numbers only
        variant_of="vae" if _single else None))

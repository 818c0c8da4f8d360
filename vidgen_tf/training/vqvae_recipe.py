"""The ``vqvae`` recipe: a causal video VQ-VAE whose tokens VideoGPT's prior models (lesson
05).

At the cpu profile it trains on one moving digit at 32x32, 16 frames (the evaluation kit's
``digits-1-32``, where lessons 02, 03 and 06 score their samples), to a grid of 4x8x8 = 256
tokens from a codebook of 512; at the gpu profile on one digit at 64x64 (``digits-1-64``) to
4x16x16 = 1024 tokens from 1024 codes. ``evaluate`` reports the held-out reconstruction PSNR
and how much of the codebook the held-out clips use (the share of codes that occur at least
once over all held-out tokens, and the perplexity of their frequencies: a batch's perplexity
depends on the batch size, the held-out set's does not change with it).
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.training.recipes import Recipe, heldout_psnr, register

# the variance of digits-1-32's pixels in [-1, 1] (mostly -1 background; mean -0.92), measured
# on 1024 training clips: the MSE is divided by it, so the commitment weight 0.25 has the scale
# it has in the VQ-VAE papers (whose MSE is of data with variance about 1 after this division)
DIGITS_VARIANCE = 0.124


def setting(profile):
    """The evaluation setting of the profile (its data: one digit per clip)."""
    from vidgen_tf.metrics.baselines import SETTINGS, EvalSetting

    if profile.name == "smoke":
        return EvalSetting("digits", 1, 32, num_frames=8, num_generated=8, num_reference=16)
    return SETTINGS["digits-1-32" if profile.name == "cpu" else "digits-1-64"]


def _batch_size(profile):
    return profile.pick(smoke=4, cpu=16, gpu=32)


def build(profile):
    import keras

    from vidgen_tf.models import VideoVQVAE

    s = setting(profile)
    model = VideoVQVAE((s.num_frames, s.image_size, s.image_size, 1), **profile.pick(
        smoke=dict(widths=(8, 16), patch=(2, 4, 4), downsample=(2, 2, 2), code_dim=8,
                   num_codes=32, groups=4),
        # 2x4x4 pixels folded into channels, a residual stage at 8x8x8, 2x1x1 folded, one at
        # 4x8x8: a step of 16 clips took 0.30 s on an AVX-512 EPYC with widths (64, 128); with
        # 2x2x2 folds (a stage at 8x16x16) 0.54 s. Width 112, not 128, at 4x8x8: 2.2 million
        # parameters, a reference run's file under the 10 MB a shipped model may take
        cpu=dict(widths=(64, 112), patch=(2, 4, 4), downsample=(2, 1, 1), code_dim=64,
                 num_codes=512),
        gpu=dict(widths=(128, 256), patch=(2, 2, 2), downsample=(2, 2, 2), blocks=2,
                 code_dim=256, num_codes=1024)),
        data_variance=DIGITS_VARIANCE, seed=0)
    model.compile(optimizer=keras.optimizers.Adam(profile.pick(smoke=1e-3, cpu=1e-3,
                                                               gpu=3e-4)),
                  jit_compile=profile.jit_compile)
    model.optimizer.build(model.trainable_variables)
    return model


def data(profile, first_step=0):
    from vidgen_tf.data import make_dataset

    batch = _batch_size(profile)
    return make_dataset(setting(profile).source("train"), batch, start=first_step * batch,
                        shuffle=False)


def heldout_clips(profile, count=None):
    """``count`` (default: the profile's 8 / 256 / 1024) test clips of the setting, float, and
    their digits ``(count,)``."""
    from vidgen_tf.data import to_float

    count = count or profile.pick(smoke=8, cpu=256, gpu=1024)
    clips = setting(profile).source("test").generate(count)
    return np.asarray(to_float(clips["video"])), np.asarray(clips["digits"])[:, 0]


def monitor(model, profile):
    """Four held-out clips above their reconstructions."""
    clips = heldout_clips(profile, 4)[0]
    return np.concatenate([clips, np.asarray(model.reconstruct(clips))])


def encode_in_batches(model, videos, batch_size=64):
    """The token grids of ``videos`` (float), ``batch_size`` at a time: int32 NumPy."""
    return np.concatenate([np.asarray(model.encode(videos[i:i + batch_size]))
                           for i in range(0, len(videos), batch_size)])


def codebook_use(tokens, num_codes):
    """``{"code_usage": share of codes used at least once, "code_perplexity": exp of the
    entropy of the code frequencies}`` over all of ``tokens``."""
    counts = np.bincount(np.asarray(tokens).reshape(-1), minlength=num_codes)
    p = counts / counts.sum()
    nonzero = p[p > 0]
    return {"code_usage": float(np.mean(counts > 0)),
            "code_perplexity": float(np.exp(-np.sum(nonzero * np.log(nonzero))))}


def evaluate(model, profile):
    """Held-out PSNR of the reconstructions, and the codebook's use over the held-out set."""
    clips, _ = heldout_clips(profile)
    tokens = encode_in_batches(model, clips)
    return {"setting": setting(profile).name, "heldout_clips": len(clips),
            "heldout_psnr_db": heldout_psnr(model.reconstruct, clips),
            "token_grid": list(model.token_grid), "num_codes": model.num_codes,
            **codebook_use(tokens, model.num_codes)}


register(Recipe(
    name="vqvae",
    description="causal video VQ-VAE, EMA codebook with restarts, on one moving digit "
                "(lesson 05)",
    build=build, data=data,
    steps=lambda p: p.pick(smoke=4, cpu=2800, gpu=30000),
    steps_per_epoch=lambda p: p.pick(smoke=2, cpu=200, gpu=1000),
    batch_size=_batch_size, monitor=monitor, evaluate=evaluate))

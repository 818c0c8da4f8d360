"""The ``videogpt`` recipe: a transformer prior over the tokens of a trained VQ-VAE (lesson
05).

The prior models the token grids that the ``vqvae`` recipe's VQ-VAE gives the clips of its
setting (one moving digit; at the cpu profile 32x32, 16 frames, 4x8x8 = 256 tokens). The
VQ-VAE is the shipped reference run ``vqvae`` (``references.load_reference``), or the model
file named by ``$VIDGEN_VQVAE`` (a run's ``model.keras``). ``$VIDGEN_VQVAE=untrained`` asks for
the recipe's VQ-VAE untrained, its codebook set from one batch (tokens of the right shapes and
no meaning: for the tests and for timing a step at a profile with no trained VQ-VAE); the
smoke profile uses that by default. The training clips are encoded once, at the start of a run
(a fixed set, ``training_tokens``), each with its digit: the prior learns ``p(tokens |
digit)`` and, with the digit dropped for 10 % of the clips, ``p(tokens)``.

``evaluate`` reports the held-out cross-entropy in nats per token beside ``ln K`` (a prior
that knows nothing), and scores three sets of decoded samples with the evaluation kit:
class-conditional (the digits in turn), unconditional, and frame-conditioned (the first frame
of a held-out clip given, ``VideoGPT.prefix_tokens``).
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from vidgen_tf.training import vqvae_recipe
from vidgen_tf.training.recipes import Recipe, register, warmup_cosine_adam

VQVAE_ENV = "VIDGEN_VQVAE"
UNTRAINED = "untrained"      # $VIDGEN_VQVAE=untrained: an untrained VQ-VAE (tests, timings)


class MissingTokenizer(RuntimeError):
    """No trained VQ-VAE for the prior (no shipped reference, or one of another shape)."""


@functools.lru_cache(maxsize=4)
def _tokenizer(profile_name, path):
    import keras

    import vidgen_tf.models  # noqa: F401  registers the classes
    from vidgen_tf.config import get_profile

    profile = get_profile(profile_name)
    if path == UNTRAINED or (profile_name == "smoke" and path is None):
        # the vqvae recipe's model untrained, its codebook set by one training call: tokens
        # with the right shapes and no meaning (the smoke profile's tests, a step's timing)
        model = vqvae_recipe.build(profile)
        clips = vqvae_recipe.heldout_clips(profile, 8)[0]
        model(clips, training=True)
        return model
    if path is not None:
        if not os.path.exists(path):
            raise MissingTokenizer(f"${VQVAE_ENV} names {path!r}, which does not exist: give "
                                   f"the model.keras file of a finished 'vqvae' run.")
        model = keras.models.load_model(path, compile=False)
        where = f"${VQVAE_ENV}={path}"
    else:
        from vidgen_tf.training.references import ReferenceRunError, load_reference

        try:
            model = load_reference("vqvae")[0]
        except ReferenceRunError as error:
            raise MissingTokenizer(
                f"The videogpt recipe models the tokens of a trained VQ-VAE, and the reference "
                f"run 'vqvae' is not available ({error}). Train one (python -m vidgen_tf train "
                f"vqvae --profile {profile_name} --out runs/vqvae) and set "
                f"{VQVAE_ENV}=runs/vqvae/model.keras.") from None
        where = "the reference run 'vqvae'"
    s = vqvae_recipe.setting(profile)
    expected = (s.num_frames, s.image_size, s.image_size, 1)
    if tuple(model.video_shape) != expected:
        raise MissingTokenizer(
            f"The VQ-VAE of {where} encodes clips {tuple(model.video_shape)}, the {profile_name} "
            f"profile's setting has {expected}: train the vqvae recipe at this profile "
            f"(python -m vidgen_tf train vqvae --profile {profile_name} --out runs/vqvae) and "
            f"set {VQVAE_ENV}=runs/vqvae/model.keras.")
    return model


def tokenizer(profile):
    """The VQ-VAE whose tokens the prior of ``profile`` models (loaded once per process)."""
    return _tokenizer(profile.name, os.environ.get(VQVAE_ENV) or None)


def _training_clips(profile):
    return profile.pick(smoke=16, cpu=20000, gpu=100000)


@functools.lru_cache(maxsize=2)
def _training_tokens(profile_name, path):
    from vidgen_tf.config import get_profile
    from vidgen_tf.data import to_float

    profile = get_profile(profile_name)
    model = tokenizer(profile)
    source = vqvae_recipe.setting(profile).source("train")
    count, chunk = _training_clips(profile), 1024
    if path == UNTRAINED:           # meaningless tokens: a few batches' worth, not 100,000
        count = min(count, 4 * _batch_size(profile))
    tokens, digits = [], []
    for start in range(0, count, chunk):
        clips = source.generate(min(chunk, count - start), start=start)
        tokens.append(vqvae_recipe.encode_in_batches(model, np.asarray(to_float(clips["video"]))))
        digits.append(np.asarray(clips["digits"])[:, 0])
    tokens = np.concatenate(tokens).reshape(count, -1).astype("int32")
    return tokens, np.concatenate(digits).astype("int32")


def training_tokens(profile):
    """``(tokens (N, L) int32, digits (N,))``: the profile's fixed set of training clips
    encoded by ``tokenizer(profile)`` (20000 clips at the cpu profile; four batches with an
    untrained VQ-VAE; once per process)."""
    return _training_tokens(profile.name, os.environ.get(VQVAE_ENV) or None)


def _batch_size(profile):
    return profile.pick(smoke=4, cpu=16, gpu=64)


def _steps(profile):
    # cpu: a step of 16 clips (4096 tokens) took 0.40 s on an AVX-512 EPYC (10,300 tokens/s,
    # as at 32 clips): 2200 steps in about 15 minutes. In a 400-step pilot at 32 clips the
    # held-out loss was 3.95 nats per token (ln K = 6.24) and the samples did not yet keep
    # their digit (identity consistency 0): more updates of fewer clips, for the same tokens
    return profile.pick(smoke=4, cpu=2200, gpu=40000)


def build(profile, steps=None):
    from vidgen_tf.models import VideoGPT

    vq = tokenizer(profile)
    model = VideoGPT(vq.token_grid, vq.num_codes, **profile.pick(
        smoke=dict(dim=32, depth=2, heads=2),
        cpu=dict(dim=192, depth=4, heads=4, dropout=0.0),
        gpu=dict(dim=512, depth=8, heads=8, dropout=0.1)),
        num_classes=10, label_dropout=0.1, seed=0)
    model.compile(optimizer=warmup_cosine_adam(steps or _steps(profile),
                                               profile.pick(smoke=1e-3, cpu=1e-3, gpu=3e-4)),
                  jit_compile=profile.jit_compile)
    model.optimizer.build(model.trainable_variables)
    return model


def data(profile, first_step=0):
    """Batches ``{"tokens": (B, L), "labels": (B,)}`` of the encoded training clips, in an
    order fixed by the seed (reshuffled every epoch), from the batch of ``first_step``."""
    import tensorflow as tf

    tokens, digits = training_tokens(profile)
    dataset = tf.data.Dataset.from_tensor_slices({"tokens": tokens, "labels": digits})
    dataset = dataset.shuffle(len(tokens), seed=0, reshuffle_each_iteration=True).repeat()
    return dataset.batch(_batch_size(profile), drop_remainder=True).skip(first_step).prefetch(2)


def heldout_cross_entropy(model, tokens, labels=None, batch_size=64):
    """Mean cross-entropy (nats per token) of held-out ``tokens (N, L)`` under the prior,
    given ``labels`` (None: without a class)."""
    import keras

    total = 0.0
    for i in range(0, len(tokens), batch_size):
        chunk = tokens[i:i + batch_size]
        inputs = {"tokens": chunk, "labels": (np.full(len(chunk), -1) if labels is None
                                              else labels[i:i + batch_size])}
        logits = model(inputs, training=False)
        total += float(np.sum(np.asarray(keras.losses.sparse_categorical_crossentropy(
            chunk, logits, from_logits=True))))
    return total / tokens.size


def monitor(model, profile):
    """Eight class-conditional samples, the digits 0-7."""
    return model.generate(tokenizer(profile), 8, labels=np.arange(8), seed=0)


def evaluate(model, profile):
    """Held-out cross-entropy, and the kit's scores of class-conditional, unconditional and
    frame-conditioned samples."""
    from vidgen_tf.metrics.baselines import evaluate as evaluate_samples
    from vidgen_tf.metrics.scores import label_accuracy

    vq = tokenizer(profile)
    s = vqvae_recipe.setting(profile)
    clips, digits = vqvae_recipe.heldout_clips(profile)
    tokens = vqvae_recipe.encode_in_batches(vq, clips).reshape(len(clips), -1)
    scores = {"setting": s.name, "heldout_clips": len(clips),
              "heldout_nats_per_token": heldout_cross_entropy(model, tokens, digits),
              "heldout_nats_per_token_unconditional": heldout_cross_entropy(model, tokens),
              "log_num_codes": math.log(model.num_codes)}
    n = s.num_generated
    labels = np.arange(n) % 10
    samples = model.generate(vq, n, labels=labels, seed=0)
    scores["samples"] = {**evaluate_samples(samples, s),
                         "label_accuracy": label_accuracy(samples, labels)}
    scores["unconditional"] = evaluate_samples(model.generate(vq, n, seed=1000), s)
    count = min(n, len(clips))
    given = model.generate(vq, count, first_frames=clips[:count, :1], seed=2000)
    scores["frame_conditioned"] = {**evaluate_samples(given, s),
                                   "label_accuracy": label_accuracy(given, digits[:count])}
    return scores


register(Recipe(
    name="videogpt",
    description="VideoGPT prior (a causal transformer over a VQ-VAE's token grid, the digit "
                "as its start token) on one moving digit (lesson 05)",
    build=build, data=data, steps=_steps,
    steps_per_epoch=lambda p: p.pick(smoke=2, cpu=200, gpu=1000),
    batch_size=_batch_size, monitor=monitor, evaluate=evaluate))

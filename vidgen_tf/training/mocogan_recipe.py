"""The ``mocogan`` recipe: a class-conditional ``MoCoGAN`` on moving digits (lesson 03).

At the cpu profile it trains in lesson 02's setting (``digits-1-32``: one digit per clip,
32x32, 16 frames), on the same stream and batch size, and its samples are drawn and scored as
lesson 02's GAN's (``gan_recipe.evaluate``: the digits 0-9 asked for in turn), so the two
lessons' numbers compare. The gpu profile trains on one digit at 64x64 (``digits-1-64``):
MoCoGAN's label is one digit per clip.

The categorical code is the clip's digit (MoCoGAN's ``z_A``): the frame generator is told
which digit to draw, and the video discriminator's auxiliary head learns the digits of real
clips and teaches the generator to draw clips it reads as the digit asked for.

What differs from the paper, and why (single runs at the cpu profile, 8 clips per step, not
repeated over seeds: their direction, not their size, is what they show):

- The paper's frame generator (``frame_generator="image"``: whole frames from
  ``[z_C, z_M(t)]``), its unconditional discriminators and its Adam(2e-4, 0.5), 1300 steps
  (19 minutes): blobs, proxy FVD 412, digit confidence 0.22, 3 digit classes of 10, identity
  consistency 0.004; the video discriminator won (mean logits 9.5 on real clips, -4.1 on
  fakes). The recipe draws a sprite and its place per frame instead (``"sprite"``: lesson
  02's inductive bias, with the motion still allowed to redraw the sprite).
- A sprite and a place per frame, both read from ``[z_C, z_M(t)]`` by dense layers: sprites
  that changed from frame to frame and a generator that ignored the labels after 550 steps
  (its classification loss at chance, 2.24 nats).
- The same with the sprite from the content (the motion through a zero-initialised map),
  projection discriminators and ``class_weight=3`` (lesson 02's), 1300 steps: digits appeared
  in the monitor's grids, but the places jumped (mean displacement 2.59 px/frame, jerk 4.13;
  real clips 1.2-1.9 and about 1): the GRU's codes moved by their whole spread from one step
  to the next. ``update_gate_bias=2`` starts them smooth.
- Lesson 02's adversarial settings (hinge loss, lazy R1, two time-scale Adam with
  ``beta_1 = 0``) and instance noise annealed to 0 by step 800, the sprite from the content
  alone, 1700 steps (909 s): digit confidence 0.72, 10 classes, 63 % of frames showing the
  digit asked for, but the places hardly moved (0.35 px/frame) and the proxy FVD was 413. The
  video discriminator had won on the motion alone: the same generated sprites moved along
  straight paths at 1.5 px/frame scored +0.65 with it, the generated clips -4.7, and its
  gradient on the sprite pointed against the image discriminator's (cosine -0.88), which kept
  the sprites noisy. So the sprite generator now reads the motion codes as *velocities*,
  integrated and bounced at the walls (``BouncingPath``, lesson 02's), and the sprite is drawn
  once per clip from the content. 1700 steps (628 s): proxy FVD 114, digit confidence 0.72,
  9 classes, identity 0.62, 1.66 px/frame, jerk 1.19; the recipe trains 2300 steps (a
  quarter of an hour at 0.37 s per step; the benchmark reports the time it took).

The reference run (``mocogan``, the recipe continued to 7500 steps): proxy FVD 63.6 (lesson
02's reference, 6000 steps: 20.9), digit confidence 0.955, identity consistency 0.957, one
content under 16 motions showing one digit 1.0, but one motion under 16 contents giving
path correlation 0.483. The start went to the content: in the 2300-step run, clips that
share a content start within 0.95 px of each other, clips that share a motion 3.44 px apart
(lesson 03, section 5), so one motion's paths part at their first bounce.
"""

from __future__ import annotations

from vidgen_tf.training import gan_recipe
from vidgen_tf.training.recipes import Recipe, register

def setting(profile):
    """The evaluation setting of the profile: lesson 02's at smoke and cpu (``digits-1-32``);
    at the gpu profile one digit at 64x64 (``digits-1-64``: MoCoGAN's label is one digit per
    clip, and lesson 02's gpu setting has two)."""
    from vidgen_tf.metrics.baselines import SETTINGS

    if profile.name == "gpu":
        return SETTINGS["digits-1-64"]
    return gan_recipe.setting(profile)


def data(profile, first_step=0):
    """Lesson 02's training stream in this recipe's setting (``gan_recipe.data``)."""
    return gan_recipe.data(profile, first_step, setting_of=setting)


def bars(profile):
    """Lesson 03's bars for MoCoGAN's samples, in the profile's setting: digit confidence
    >= 0.6 with >= 8 classes, identity consistency >= 0.8 (content is one code per clip: the
    model's claim), mean displacement inside the real clips' 10th-90th percentile, and (in
    ``digits-1-32``) proxy FVD below the shuffled-in-time baseline (the benchmark adds: below
    lesson 02's GAN in the same run)."""
    from vidgen_tf.metrics.bars import digit_sample_bars

    s = setting(profile)
    one_digit_32 = s.single_digit and s.image_size == 32     # the baseline's setting
    return digit_sample_bars(s, identity=0.8, fvd_below=SHUFFLED_FVD if one_digit_32 else None,
                             motion_quantiles=(10, 90),
                             real_count=profile.pick(smoke=16, cpu=256, gpu=256))


# benchmarks/results.md, entry "baselines": digits-1-32's real clips shuffled in time score a
# proxy FVD of 164.2 +- 15.9 (5 draws): right digits, wrong motion
SHUFFLED_FVD = 164


def build(profile):
    import keras

    from vidgen_tf.models import MoCoGAN

    s = setting(profile)
    model = MoCoGAN((s.num_frames, s.image_size, s.image_size, 1), **profile.pick(
        smoke=dict(content_dim=16, motion_dim=4, generator_width=32, discriminator_width=8),
        cpu=dict(content_dim=50, motion_dim=10, generator_width=128, discriminator_width=32),
        gpu=dict(content_dim=50, motion_dim=10, generator_width=512, discriminator_width=64)),
        num_classes=10, label_key="digits", frames_per_clip=4, loss="hinge",
        noise_sigma=0.1, class_weight=3.0, frame_generator="sprite", projection=True,
        update_gate_bias=2.0, r1_gamma=1.0, r1_every=4,
        noise_anneal_steps=profile.pick(smoke=2, cpu=800, gpu=10000))
    # lesson 02's two time-scale Adam (TTUR, beta_1 = 0): the critics learn twice as fast
    model.compile(generator_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.99),
                  image_discriminator_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0,
                                                                      beta_2=0.99),
                  video_discriminator_optimizer=keras.optimizers.Adam(4e-4, beta_1=0.0,
                                                                      beta_2=0.99),
                  jit_compile=profile.jit_compile)
    return model


def disentanglement(model, profile, seed=0):
    """Groups of clips that share one code, scored (``metrics.disentanglement``).

    ``same_content``: one group per digit, each of ``per_group`` clips with one content code
    and label and motions of their own; ``same_motion``: groups of clips with one motion and
    contents of their own (the digits 0-9 in turn). Each kind reports the digit agreement
    and the path correlation of its groups: the first kind should agree on the digit and not
    on the path, the second the other way round.

    Returns:
        dict of floats: ``same_content_digit_agreement``, ``same_content_path_correlation``,
        ``same_motion_digit_agreement``, ``same_motion_path_correlation``; ``groups`` and
        ``per_group``.
    """
    import numpy as np

    from vidgen_tf.metrics.disentanglement import (shared_digit_agreement,
                                                   shared_path_correlation)

    groups, per_group = profile.pick(smoke=(2, 4), cpu=(10, 16), gpu=(10, 16))
    result = {"groups": groups, "per_group": per_group}
    for share, labels in (("content", np.arange(groups) % 10),
                          ("motion", np.arange(groups * per_group) % 10)):
        clips = np.asarray(shared_clips(model, groups, per_group, share, seed, labels))
        clips = clips.reshape((groups, per_group) + clips.shape[1:])
        result[f"same_{share}_digit_agreement"] = shared_digit_agreement(clips)["agreement"]
        result[f"same_{share}_path_correlation"] = shared_path_correlation(clips)["correlation"]
    return result


def shared_clips(model, groups, per_group, share, seed=0, labels=None, num_frames=None):
    """``groups * per_group`` clips (float) from ``model.sample_shared_codes``."""
    codes = model.sample_shared_codes(groups, per_group, share, num_frames, seed,
                                      labels if model.num_classes else None)
    return model(model.codes_list(codes), training=False)


def long_generation(model, profile, factor=2, seed=0):
    """Clips ``factor`` times longer than the training clips (the GRU unrolled further),
    drawn as ``evaluate`` draws them, their first and last training-length windows scored
    apart: does the motion go on, and do the frames stay digits?

    Returns:
        dict: ``frames``; ``first`` and ``last``, each the evaluation kit's scores of the
        window (and its label accuracy with one digit per clip).
    """
    import functools

    from vidgen_tf.metrics.baselines import evaluate as evaluate_samples
    from vidgen_tf.metrics.scores import label_accuracy
    from vidgen_tf.training.recipes import sample_in_batches

    s = setting(profile)
    t = model.video_shape[0]
    labels = gan_recipe.balanced_labels(s.num_generated)
    samples = sample_in_batches(functools.partial(model.generate, num_frames=factor * t),
                                s.num_generated, labels=labels, seed=seed)
    result = {"frames": factor * t}
    for name, window in (("first", samples[:, :t]), ("last", samples[:, -t:])):
        scores = evaluate_samples(window, s)
        if s.single_digit:
            scores["label_accuracy"] = label_accuracy(window, labels)
        result[name] = scores
    return result


def evaluate(model, profile):
    """Lesson 02's scores of the samples (``gan_recipe.evaluate``), the disentanglement of
    content and motion (``disentanglement``: its numbers beside ``"samples"``), and the
    scores of clips twice as long as the training clips (``"long_generation"``)."""
    scores = gan_recipe.evaluate(model, profile, setting_of=setting)
    scores.update(disentanglement(model, profile))
    scores["long_generation"] = long_generation(model, profile)
    return scores


register(Recipe(
    name="mocogan",
    description="class-conditional MoCoGAN (a content code per clip draws a sprite, GRU "
                "motion codes are its velocities; image and video discriminators, the video "
                "one also a digit classifier) on moving digits (lesson 03)",
    build=build, data=data,
    steps=lambda p: p.pick(smoke=4, cpu=2300, gpu=40000),
    steps_per_epoch=lambda p: p.pick(smoke=2, cpu=100, gpu=1000),
    batch_size=gan_recipe._batch_size, monitor=gan_recipe.monitor,
    evaluate=evaluate,
    ema_decay=0.999, ema_attribute=("motion_network", "frame_generator")))

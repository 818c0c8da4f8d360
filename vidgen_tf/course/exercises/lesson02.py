"""Exercises of lesson 02, video GANs."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise
from vidgen_tf.losses.gan import (gradient_penalty, hinge_d_loss, nonsaturating_g_loss,
                                  r1_penalty)


def _logits(rng):
    n = int(rng.integers(1, 40))
    scale = float(rng.choice([0.1, 1.0, 5.0]))
    return ((rng.normal(size=n) * scale).astype(np.float32),
            (rng.normal(size=n) * scale + rng.normal()).astype(np.float32))


@exercise("2.1", "hinge_discriminator_loss(real_logits, fake_logits)",
          reimplements="vidgen_tf.losses.hinge_d_loss")
def check_hinge(answer, rng):
    trials = 20
    for _ in range(trials):
        real, fake = _logits(rng)
        compare("hinge_discriminator_loss", np.float64(answer(real, fake)),
                np.float64(hinge_d_loss(real, fake)), f"{len(real)} logits", rtol=1e-5)
    return f"hinge_discriminator_loss agrees with vidgen_tf.losses.hinge_d_loss on {trials} batches."


@exercise("2.2", "nonsaturating_generator_loss(fake_logits)",
          reimplements="vidgen_tf.losses.nonsaturating_g_loss")
def check_nonsaturating(answer, rng):
    trials = 20
    for _ in range(trials):
        _, fake = _logits(rng)
        compare("nonsaturating_generator_loss", np.float64(answer(fake)),
                np.float64(nonsaturating_g_loss(fake)), f"{len(fake)} logits", rtol=1e-5)
    return (f"nonsaturating_generator_loss agrees with vidgen_tf.losses.nonsaturating_g_loss "
            f"on {trials} batches.")


def _critic_and_clips(rng):
    import tensorflow as tf

    shape = (int(rng.integers(1, 5)), 2, 4, 4, 1)
    w1 = tf.constant(rng.normal(size=shape[1:]).astype(np.float32))
    w2 = tf.constant(rng.normal(size=shape[1:]).astype(np.float32))

    def critic(x):                     # a smooth, non-linear critic with varying gradients
        return tf.reduce_sum(tf.tanh(x * w1) * w2, axis=[1, 2, 3, 4])

    real = rng.uniform(-1, 1, size=shape).astype(np.float32)
    fake = rng.uniform(-1, 1, size=shape).astype(np.float32)
    return critic, real, fake


@exercise("2.3", "wgan_gradient_penalty(critic, real, fake, mix)",
          reimplements="vidgen_tf.losses.gradient_penalty")
def check_gradient_penalty(answer, rng):
    trials = 8
    for _ in range(trials):
        critic, real, fake = _critic_and_clips(rng)
        mix = rng.uniform(size=len(real)).astype(np.float32)
        compare("wgan_gradient_penalty", np.float64(answer(critic, real, fake, mix)),
                np.float64(gradient_penalty(critic, real, fake, mix=mix)),
                f"{len(real)} clips", rtol=1e-4, atol=1e-6)
    return (f"wgan_gradient_penalty agrees with vidgen_tf.losses.gradient_penalty on {trials} "
            f"random critics.")


@exercise("2.4", "r1(critic, real)", reimplements="vidgen_tf.losses.r1_penalty")
def check_r1(answer, rng):
    trials = 8
    for _ in range(trials):
        critic, real, _ = _critic_and_clips(rng)
        compare("r1", np.float64(answer(critic, real)), np.float64(r1_penalty(critic, real)),
                f"{len(real)} clips", rtol=1e-4, atol=1e-6)
    return f"r1 agrees with vidgen_tf.losses.r1_penalty on {trials} random critics."

"""Adversarial losses and gradient penalties (lesson 02).

A discriminator (or critic) ``D`` outputs one logit per clip. With ``r = D(real)`` and
``f = D(fake)``:

=================  ===================================  ==============================
loss               discriminator minimises              generator minimises
=================  ===================================  ==============================
non-saturating     ``softplus(-r) + softplus(f)``       ``softplus(-f)``
hinge              ``relu(1 - r) + relu(1 + f)``        ``-f``
Wasserstein        ``f - r``                            ``-f``
=================  ===================================  ==============================

(``softplus(-r) = -log sigmoid(r)``: the non-saturating losses are the cross-entropy of the
original GAN with the generator's "log D trick", which keeps its gradient alive when ``D``
rejects the fakes confidently.) Each is averaged over the batch.

The penalties keep the discriminator smooth, which is what makes video GANs trainable:

- ``gradient_penalty`` (WGAN-GP): ``E[(||grad D(x_mix)|| - 1)^2]`` at random mixes of real
  and fake clips; it makes the Wasserstein critic 1-Lipschitz.
- ``r1_penalty``: ``E[||grad D(x_real)||^2]``; it stops the discriminator from growing steep
  around the real data (the caller multiplies it by ``gamma / 2``).

The penalties differentiate the critic with respect to its input, so they need the
TensorFlow backend (``tf.GradientTape``); the losses themselves use ``keras.ops``.

A conditional GAN's discriminator may also classify what it sees (AC-GAN, Odena et al. 2017):
``multilabel_cross_entropy`` is its loss when a frame may show several objects (digits), each
class a yes/no question answered by a sigmoid.
"""

from __future__ import annotations

from keras import ops


def _mean(values):
    return ops.mean(ops.cast(values, "float32"))


def nonsaturating_d_loss(real_logits, fake_logits):
    """Discriminator cross-entropy: ``mean(softplus(-r)) + mean(softplus(f))``."""
    return _mean(ops.softplus(-ops.cast(real_logits, "float32"))) + _mean(
        ops.softplus(ops.cast(fake_logits, "float32")))


def nonsaturating_g_loss(fake_logits):
    """Generator's non-saturating loss: ``mean(softplus(-f)) = -mean(log sigmoid(f))``."""
    return _mean(ops.softplus(-ops.cast(fake_logits, "float32")))


def hinge_d_loss(real_logits, fake_logits):
    """Hinge loss: ``mean(relu(1 - r)) + mean(relu(1 + f))``."""
    return _mean(ops.relu(1.0 - ops.cast(real_logits, "float32"))) + _mean(
        ops.relu(1.0 + ops.cast(fake_logits, "float32")))


def hinge_g_loss(fake_logits):
    """Generator's hinge loss: ``-mean(f)``."""
    return -_mean(fake_logits)


def wasserstein_d_loss(real_logits, fake_logits):
    """Critic loss of WGAN: ``mean(f) - mean(r)`` (minus the Wasserstein estimate)."""
    return _mean(fake_logits) - _mean(real_logits)


def wasserstein_g_loss(fake_logits):
    """Generator loss of WGAN: ``-mean(f)``."""
    return -_mean(fake_logits)


ADVERSARIAL_LOSSES = {
    "nonsaturating": (nonsaturating_d_loss, nonsaturating_g_loss),
    "hinge": (hinge_d_loss, hinge_g_loss),
    "wasserstein": (wasserstein_d_loss, wasserstein_g_loss),
}


def _pair(name):
    if name not in ADVERSARIAL_LOSSES:
        raise ValueError(f"Unknown adversarial loss {name!r}; choose one of "
                         f"{sorted(ADVERSARIAL_LOSSES)}.")
    return ADVERSARIAL_LOSSES[name]


def discriminator_loss(name, real_logits, fake_logits):
    """The discriminator loss called ``name`` (see ``ADVERSARIAL_LOSSES``)."""
    return _pair(name)[0](real_logits, fake_logits)


def generator_loss(name, fake_logits):
    """The generator loss called ``name`` (see ``ADVERSARIAL_LOSSES``)."""
    return _pair(name)[1](fake_logits)


def multilabel_cross_entropy(class_logits, labels, num_classes):
    """Sigmoid cross-entropy of class logits against the classes present, summed over the
    classes and averaged over the batch.

    The targets are multi-hot: class ``k`` is 1 if any of an example's labels is ``k``
    (a digit shown twice is still one target), 0 otherwise; ``-1`` labels (no object) are
    ignored. Per class, ``max(l, 0) - l * y + log(1 + exp(-|l|))``, the numerically stable
    form of ``-y log sigmoid(l) - (1 - y) log(1 - sigmoid(l))``.

    Args:
        class_logits: tensor ``(batch, num_classes)``.
        labels: int tensor ``(batch, k)`` in ``[-1, num_classes)``.
        num_classes: int.

    Returns:
        float32 scalar.

    Example:
        # frames showing the digits {2} and {5, 0}: targets [0,0,1,0,...] and [1,0,0,0,0,1,...]
        multilabel_cross_entropy(logits, np.array([[2, -1], [5, 0]]), 10)
    """
    class_logits = ops.cast(class_logits, "float32")
    labels = ops.convert_to_tensor(labels)
    present = ops.cast(ops.greater_equal(labels, 0), "float32")
    targets = ops.minimum(ops.sum(ops.one_hot(ops.maximum(labels, 0), num_classes)
                                  * present[..., None], axis=1), 1.0)
    per_class = ops.maximum(class_logits, 0) - class_logits * targets + ops.log1p(
        ops.exp(-ops.abs(class_logits)))
    return ops.mean(ops.sum(per_class, axis=-1))


def _input_gradients(critic, inputs):
    import tensorflow as tf

    inputs = tf.convert_to_tensor(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(tf.cast(critic(inputs), tf.float32))
    gradients = tape.gradient(total, inputs)
    if gradients is None:
        raise ValueError("The critic's output does not depend on its input; a gradient "
                         "penalty needs a differentiable critic.")
    gradients = tf.cast(gradients, tf.float32)
    return tf.reshape(gradients, (tf.shape(gradients)[0], -1))


def gradient_penalty(critic, real, fake, mix=None, seed=None):
    """WGAN-GP penalty ``mean((||grad critic(x_mix)||_2 - 1)^2)``.

    Args:
        critic: callable ``(batch, ...) -> (batch,)`` or ``(batch, 1)`` logits.
        real: tensor ``(batch, ...)``. Real clips.
        fake: tensor of the same shape. Generated clips.
        mix: optional tensor ``(batch,)`` in ``[0, 1]``: ``x_mix = mix * real +
            (1 - mix) * fake``. Drawn uniformly when None.
        seed: optional seed (int or ``keras.random.SeedGenerator``) for ``mix``.

    Returns:
        float32 scalar.
    """
    import keras

    real = ops.cast(real, "float32")
    fake = ops.cast(fake, ops.dtype(real))
    if tuple(real.shape[1:]) != tuple(fake.shape[1:]):
        raise ValueError(f"gradient_penalty: real {tuple(real.shape)} and fake "
                         f"{tuple(fake.shape)} clips differ in shape.")
    if mix is None:
        mix = keras.random.uniform((ops.shape(real)[0],), seed=seed)
    mix = ops.reshape(ops.cast(mix, "float32"), (-1,) + (1,) * (len(real.shape) - 1))
    mixed = mix * real + (1.0 - mix) * fake
    norms = ops.sqrt(ops.sum(ops.square(_input_gradients(critic, mixed)), axis=1) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(critic, real):
    """R1 penalty ``mean(||grad critic(real)||_2^2)`` (Mescheder et al., 2018).

    Args:
        critic: callable ``(batch, ...) -> (batch,)`` or ``(batch, 1)`` logits.
        real: tensor ``(batch, ...)``. Real clips.

    Returns:
        float32 scalar; the caller weighs it by ``gamma / 2``.
    """
    return ops.mean(ops.sum(ops.square(_input_gradients(critic, real)), axis=1))


def lazy_r1_penalty(critic, real, step, every=1):
    """The R1 penalty computed on every ``every``-th step only, and then ``every`` times as
    large (lazy regularisation, Karras et al. 2020): on average the same penalty, at a
    fraction of the cost of its double back-propagation.

    Args:
        critic, real: as ``r1_penalty``.
        step: int or scalar tensor. The critic's optimizer step (``optimizer.iterations``):
            the penalty is due when ``step % every == 0``.
        every: int >= 1. 1 computes it every step.

    Returns:
        float32 scalar: ``every * r1_penalty(critic, real)`` when due, else 0.
    """
    if every == 1:
        return r1_penalty(critic, real)
    due = ops.equal(step % every, 0)
    return ops.cond(due, lambda: every * r1_penalty(critic, real), lambda: ops.zeros(()))

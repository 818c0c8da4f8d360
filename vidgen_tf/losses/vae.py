"""The terms of a variational autoencoder's objective (lesson 01).

A VAE with encoder ``q(z | x) = N(mean, exp(log_var))``, prior ``p(z) = N(0, I)`` and decoder
``p(x | z) = N(x_hat, sigma^2 I)`` maximises the evidence lower bound

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z)),

estimated with one sample ``z = mean + exp(log_var / 2) * eps``, ``eps ~ N(0, I)`` (the
reparameterisation trick, which lets gradients flow through the sample). ``beta`` weighs the
KL term (beta-VAE): larger beta, a smoother latent space and blurrier reconstructions.

All functions use ``keras.ops`` and return one value per example (shape ``(batch,)``),
summed over every other axis, in nats.
"""

from __future__ import annotations

import math

from keras import ops


def _per_example_sum(values):
    values = ops.cast(values, "float32")
    axes = tuple(range(1, len(values.shape)))
    return ops.sum(values, axis=axes) if axes else values


def reparameterize(mean, log_var, noise):
    """The reparameterised sample ``mean + exp(log_var / 2) * noise``.

    Args:
        mean: tensor ``(batch, ...)``. Posterior means.
        log_var: tensor of the same shape. Posterior log-variances.
        noise: tensor of the same shape, drawn from ``N(0, 1)``.

    Returns:
        A tensor of the same shape: a sample of ``N(mean, exp(log_var))``.
    """
    return mean + ops.exp(0.5 * log_var) * noise


def gaussian_kl(mean, log_var):
    """``KL(N(mean, exp(log_var)) || N(0, I))`` per example, in nats.

    ``0.5 * sum(exp(log_var) + mean**2 - 1 - log_var)`` over all non-batch axes.

    Args:
        mean: tensor ``(batch, ...)``.
        log_var: tensor of the same shape.

    Returns:
        float32 tensor ``(batch,)``, non-negative.
    """
    mean, log_var = ops.cast(mean, "float32"), ops.cast(log_var, "float32")
    return _per_example_sum(0.5 * (ops.exp(log_var) + ops.square(mean) - 1.0 - log_var))


def gaussian_nll(x, x_hat, sigma=1.0, full=True):
    """``-log N(x; x_hat, sigma^2 I)`` per example, in nats.

    ``sum((x - x_hat)**2) / (2 sigma^2) + n * (log sigma + log(2 pi) / 2)`` with ``n`` the
    number of values per example. The second term does not depend on the model (``sigma``
    is fixed): ``full=False`` leaves it out (as PyTorch's ``GaussianNLLLoss(full=False)``
    leaves out its constant), which is what a training loss needs, and keeps the loss
    positive and its float32 rounding small.

    Args:
        x: tensor ``(batch, ...)``. Data.
        x_hat: tensor of the same shape. Decoder means.
        sigma: float. The decoder's standard deviation (fixed, not learned).
        full: bool. Include the constant ``n * (log sigma + log(2 pi) / 2)``.

    Returns:
        float32 tensor ``(batch,)``.
    """
    if not sigma > 0:
        raise ValueError(f"gaussian_nll: sigma must be > 0, got {sigma}.")
    x, x_hat = ops.cast(x, "float32"), ops.cast(x_hat, "float32")
    squared = _per_example_sum(ops.square(x - x_hat))
    if not full:
        return squared / (2.0 * sigma**2)
    n = math.prod(x.shape[1:])
    return squared / (2.0 * sigma**2) + n * (math.log(sigma) + 0.5 * math.log(2 * math.pi))


def elbo(x, x_hat, mean, log_var, beta=1.0, sigma=1.0, full=True):
    """The (beta-weighted) evidence lower bound per example, in nats.

    ``-gaussian_nll(x, x_hat, sigma, full) - beta * gaussian_kl(mean, log_var)``. Training
    minimises its negative mean. With ``beta = 1`` and ``full=True`` it is a lower bound of
    ``log p(x)``; ``full=False`` drops the constant of ``gaussian_nll`` (same gradients).

    Returns:
        float32 tensor ``(batch,)``.
    """
    return -gaussian_nll(x, x_hat, sigma, full=full) - beta * gaussian_kl(mean, log_var)

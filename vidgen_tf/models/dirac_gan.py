"""The Dirac GAN: the smallest GAN that shows why GAN training oscillates (lesson 02).

Mescheder, Geiger and Nowozin (2018) reduce a GAN to two numbers. The real data is a single
point at ``x = 0``; the generator is a single point ``x = theta``; the discriminator is the
line ``D(x) = psi * x``. The only equilibrium is ``theta = psi = 0``. Gradient steps on this
game do not go there: the generator chases the point where the discriminator says "real",
the discriminator turns to follow it, and ``(theta, psi)`` circles the equilibrium (with
alternating updates) or spirals away from it (with simultaneous ones). The training tips of
lesson 02 act on this circling:

- ``r1_gamma``: the R1 penalty ``gamma / 2 * |dD/dx (real)|^2 = gamma / 2 * psi^2`` pulls the
  discriminator back towards zero slope and damps the circling into a spiral *inwards*;
- ``gp_weight`` (with ``loss="wasserstein"``): WGAN-GP's ``(|dD/dx| - 1)^2 = (|psi| - 1)^2``
  keeps the slope near 1 instead;
- ``clip_norm``: gradient clipping bounds each step's length, not its direction;
- ``lr_generator`` and ``lr_discriminator``: two time-scale learning rates (TTUR).

Everything is NumPy with the gradients written out by hand, so every step can be read.
"""

from __future__ import annotations

import numpy as np

LOSSES = ("nonsaturating", "hinge", "wasserstein")


def _sigmoid(t):
    return 1.0 / (1.0 + np.exp(-t))


def _gradients(theta, psi, loss):
    """``(dL_D / dpsi, dL_G / dtheta)`` of the two players' losses without penalties.

    With ``D(real) = psi * 0 = 0`` and ``f = D(fake) = psi * theta``:
    non-saturating ``L_D = softplus(0) + softplus(f)``, ``L_G = softplus(-f)``;
    hinge ``L_D = relu(1) + relu(1 + f)``, ``L_G = -f``; Wasserstein ``L_D = f``, ``L_G = -f``.
    """
    f = psi * theta
    if loss == "nonsaturating":
        return _sigmoid(f) * theta, -_sigmoid(-f) * psi
    if loss == "hinge":
        return (1.0 + f > 0) * theta, -psi
    return theta, -psi                                           # wasserstein


def _clip(gradient, clip_norm):
    if clip_norm is None or abs(gradient) <= clip_norm:
        return gradient
    return np.sign(gradient) * clip_norm


def dirac_gan(theta=1.0, psi=1.0, steps=200, lr_generator=0.1, lr_discriminator=0.1,
              loss="nonsaturating", r1_gamma=0.0, gp_weight=0.0, clip_norm=None,
              simultaneous=False):
    """Gradient-descent training of the Dirac GAN.

    Each step updates the discriminator's ``psi`` on its loss (plus penalties), then the
    generator's ``theta`` against the *updated* discriminator (as ``VideoGAN`` does), or
    both from the same old values with ``simultaneous=True``.

    Args:
        theta, psi: floats. Starting point.
        steps: int. Number of steps.
        lr_generator, lr_discriminator: floats. Step sizes.
        loss: one of ``LOSSES``.
        r1_gamma: float. Weight ``gamma`` of the R1 penalty ``gamma / 2 * psi^2``.
        gp_weight: float. Weight of the gradient penalty ``(|psi| - 1)^2``.
        clip_norm: optional float. Clip each player's gradient to this length.
        simultaneous: bool. Update both players from the same old values.

    Returns:
        ``(steps + 1, 2)`` float array: ``(theta, psi)`` before the first step and after each.
    """
    if loss not in LOSSES:
        raise ValueError(f"dirac_gan: loss must be one of {LOSSES}, got {loss!r}.")
    if steps < 0 or int(steps) != steps:
        raise ValueError(f"dirac_gan: steps must be a non-negative integer, got {steps!r}.")
    path = [(float(theta), float(psi))]
    for _ in range(int(steps)):
        grad_psi, _ = _gradients(theta, psi, loss)
        grad_psi += r1_gamma * psi + gp_weight * 2.0 * (abs(psi) - 1.0) * np.sign(psi)
        new_psi = psi - lr_discriminator * _clip(grad_psi, clip_norm)
        _, grad_theta = _gradients(theta, psi if simultaneous else new_psi, loss)
        theta = theta - lr_generator * _clip(grad_theta, clip_norm)
        psi = new_psi
        path.append((float(theta), float(psi)))
    return np.asarray(path)


def distance_to_equilibrium(path):
    """``sqrt(theta^2 + psi^2)`` along a path ``(n, 2)``: how far from ``(0, 0)`` it is."""
    return np.hypot(path[:, 0], path[:, 1])

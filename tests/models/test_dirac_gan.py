"""The Dirac GAN of lesson 02: hand-computed steps and the known behaviours of the game."""

import math

import numpy as np
import pytest

from vidgen_tf.models.dirac_gan import dirac_gan, distance_to_equilibrium


def sigmoid(t):
    return 1 / (1 + math.exp(-t))


def test_one_alternating_step_by_hand():
    path = dirac_gan(theta=1.0, psi=1.0, steps=1, lr_generator=0.1, lr_discriminator=0.2,
                     r1_gamma=0.5)
    psi = 1.0 - 0.2 * (sigmoid(1.0) * 1.0 + 0.5 * 1.0)      # D's gradient + R1's gamma * psi
    theta = 1.0 + 0.1 * sigmoid(-psi) * psi                  # G against the updated D
    np.testing.assert_allclose(path, [[1.0, 1.0], [theta, psi]], rtol=1e-12)


def test_simultaneous_step_uses_the_old_discriminator():
    path = dirac_gan(theta=0.5, psi=-2.0, steps=1, loss="wasserstein", simultaneous=True)
    np.testing.assert_allclose(path[1], [0.5 + 0.1 * -2.0, -2.0 - 0.1 * 0.5])


def test_wasserstein_circles_with_alternating_steps_and_spirals_out_with_simultaneous():
    circling = distance_to_equilibrium(dirac_gan(steps=5000, loss="wasserstein"))
    assert 1.2 < circling.min() and circling.max() < 1.6       # neither converges nor escapes
    spiral = distance_to_equilibrium(dirac_gan(steps=1000, loss="wasserstein",
                                               simultaneous=True))
    assert spiral[-1] > 100 * spiral[0]
    assert np.all(np.diff(spiral) > 0)


def test_r1_makes_the_game_converge_and_ttur_alone_does_not():
    assert distance_to_equilibrium(dirac_gan(steps=500, loss="hinge", r1_gamma=1.0))[-1] < 1e-3
    ttur = distance_to_equilibrium(dirac_gan(steps=2000, loss="hinge", lr_discriminator=0.4))
    assert ttur[-500:].min() > 0.5


def test_gradient_clipping_bounds_every_step():
    path = dirac_gan(theta=3.0, psi=3.0, steps=300, loss="wasserstein", clip_norm=0.05,
                     lr_generator=1.0, lr_discriminator=1.0)
    steps = np.abs(np.diff(path, axis=0))
    assert steps.max() <= 0.05 + 1e-12
    assert np.isclose(steps.max(), 0.05)                      # the clip is active


def test_the_gradient_penalty_holds_the_slope_near_one():
    path = dirac_gan(theta=0.0, psi=3.0, steps=200, loss="wasserstein", gp_weight=1.0,
                     lr_generator=0.0)
    assert abs(path[-1, 1] - 1.0) < 1e-3                     # generator frozen at the data


def test_bad_arguments():
    with pytest.raises(ValueError, match="loss must be one of"):
        dirac_gan(loss="minimax")
    with pytest.raises(ValueError, match="steps must be a non-negative integer, got 2.5"):
        dirac_gan(steps=2.5)

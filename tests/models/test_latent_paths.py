import numpy as np
import pytest

from vidgen_tf.models.latent_paths import interpolate, latent_loop, random_directions


def test_interpolation_runs_from_one_code_to_the_other_evenly():
    a, b = np.zeros((2, 3)), np.ones((2, 3))
    path = interpolate(a, b, 5)
    assert path.shape == (5, 2, 3)
    np.testing.assert_allclose(path[:, 0, 0], [0, 0.25, 0.5, 0.75, 1])
    with pytest.raises(ValueError, match="differ"):
        interpolate(a, np.ones(3), 4)


def test_loop_is_a_circle_that_closes_without_repeating():
    u, v = random_directions((4, 2), count=2, seed=1)
    assert abs(float(np.sum(u * v))) < 1e-6 and abs(float(np.sum(u * u)) - 1) < 1e-6
    center = np.full((4, 2), 3.0, np.float32)
    loop = latent_loop(center, u, v, radius=2.0, steps=8)
    distances = np.sqrt(((loop - center) ** 2).sum(axis=(1, 2)))
    np.testing.assert_allclose(distances, 2.0, rtol=1e-5)       # on the circle
    steps = np.sqrt(((np.roll(loop, -1, axis=0) - loop) ** 2).sum(axis=(1, 2)))
    np.testing.assert_allclose(steps, steps[0], rtol=1e-5)      # even steps, incl. last->first
    assert not np.allclose(loop[0], loop[-1])
    with pytest.raises(ValueError, match="same shape"):
        latent_loop(center, u[:2], v, 1.0, 4)

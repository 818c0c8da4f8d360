import numpy as np
import pytest

from vidgen_tf.data import physics
from vidgen_tf.data.physics import (DIRECTIONS, bounce_step, bounce_trajectories,
                                    direction_index, random_motion, random_velocities)


def test_bounce_step_by_hand():
    pos, vel = bounce_step(np.array([9.0, 1.0, 7.0, 5.0]), np.array([3.0, -3.0, 3.0, 2.0]),
                           0.0, 10.0)
    # 9+3=12 passes the wall at 10 -> 8; 1-3=-2 -> 2; 7+3=10 touches the wall: no bounce.
    np.testing.assert_allclose(pos, [8.0, 2.0, 10.0, 7.0])
    np.testing.assert_allclose(vel, [-3.0, 3.0, 3.0, 2.0])


def test_bounce_step_does_not_modify_inputs():
    position, velocity = np.array([9.0]), np.array([3.0])
    bounce_step(position, velocity, 0.0, 10.0)
    assert position[0] == 9.0 and velocity[0] == 3.0


def _iterate(start, velocity, steps, low, high):
    positions, velocities = [start], [velocity]
    for _ in range(steps - 1):
        start, velocity = bounce_step(start, velocity, low, high)
        positions.append(start)
        velocities.append(velocity)
    return np.stack(positions, 1), np.stack(velocities, 1)


def test_closed_form_equals_iterated_steps(rng):
    start = rng.uniform(0, 36, size=(50, 3, 2))
    velocity = rng.uniform(-8, 8, size=(50, 3, 2))
    positions, velocities = bounce_trajectories(start, velocity, 40, 0.0, 36.0)
    expected_p, expected_v = _iterate(start, velocity, 40, 0.0, 36.0)
    assert positions.shape == (50, 40, 3, 2)
    np.testing.assert_allclose(positions, expected_p, atol=1e-9)
    np.testing.assert_array_equal(velocities, expected_v)


def test_closed_form_matches_steps_that_touch_walls_exactly():
    # Integer motion lands exactly on walls: touching is not bouncing, in both forms.
    start = np.array([[[0.0, 5.0]], [[10.0, 2.0]]])
    velocity = np.array([[[2.0, 5.0]], [[-5.0, -1.0]]])
    positions, velocities = bounce_trajectories(start, velocity, 12, 0.0, 10.0)
    expected_p, expected_v = _iterate(start, velocity, 12, 0.0, 10.0)
    np.testing.assert_allclose(positions, expected_p, atol=1e-12)
    np.testing.assert_array_equal(velocities, expected_v)


def test_trajectories_stay_inside_and_keep_speed(rng):
    start = rng.uniform(-3, 20, size=(200, 2))
    velocity = rng.uniform(-5, 5, size=(200, 2))
    positions, velocities = bounce_trajectories(start, velocity, 64, -3.0, 20.0)
    assert positions.min() >= -3.0 and positions.max() <= 20.0
    np.testing.assert_allclose(np.abs(velocities), np.abs(velocity)[:, None].repeat(64, 1))


def test_trajectories_reject_empty_box():
    with pytest.raises(ValueError, match="high > low"):
        bounce_trajectories([0.0], [1.0], 4, 5.0, 5.0)


def test_direction_index_names_compass_directions():
    velocity = np.array([[0, 1], [-1, 1], [-1, 0], [-1, -1], [0, -1], [1, -1], [1, 0], [1, 1]])
    assert [DIRECTIONS[i] for i in direction_index(velocity)] == list(DIRECTIONS)
    assert DIRECTIONS[direction_index(np.array([-3.0, 0.2]))] == "up"   # up is negative y


def test_random_velocities_are_uniform_in_direction(rng):
    v = random_velocities(rng, (20000,), (2.0, 4.0))
    speed = np.linalg.norm(v, axis=-1)
    assert speed.min() >= 2.0 and speed.max() <= 4.0
    share = np.bincount(direction_index(v), minlength=8) / len(v)
    np.testing.assert_allclose(share, 1 / 8, atol=0.015)


def test_random_motion_labels_agree(rng):
    m = random_motion(rng, 300, 3, (1, 3), 10, 14, 40, (1.0, 3.0))
    assert set(np.unique(m["num_objects"])) == {1, 2, 3}
    np.testing.assert_array_equal(m["present"].sum(1), m["num_objects"])
    assert m["corners"].min() >= 0 and m["corners"].max() <= 40 - 14
    mask = m["present"][:, None, :, None]
    np.testing.assert_allclose(np.where(mask, m["corners"] + 6.5, 0.0), m["positions"])
    assert np.all(m["directions"][~m["present"]] == -1)
    assert np.all(m["speeds"][~m["present"]] == 0) and np.all(m["speeds"][m["present"]] >= 1.0)
    # The first frame's velocity gives the direction label.
    first = m["velocities"][:, 0]
    np.testing.assert_array_equal(physics.direction_index(first)[m["present"]],
                                  m["directions"][m["present"]])

"""Exercises of lesson 00, video as data."""

from __future__ import annotations

import numpy as np

from vidgen_tf.course.checks import compare, exercise
from vidgen_tf.data.physics import bounce_step
from vidgen_tf.metrics.motion import frame_differences


@exercise("0.1", "bounce_step(position, velocity, low, high)",
          reimplements="vidgen_tf.data.bounce_step")
def check_bounce_step(answer, rng):
    cases = 400
    low = rng.uniform(-5.0, 5.0)
    high = low + rng.uniform(10.0, 50.0)
    position = rng.uniform(low, high, size=(cases, 2))
    velocity = rng.uniform(-1.0, 1.0, size=(cases, 2)) * (high - low) / 2
    # Some objects a hair from each wall, heading into it: they must bounce.
    position[:20, 0] = low + 0.01
    velocity[:20, 0] = -np.abs(velocity[:20, 0]) - 0.1
    position[20:40, 1] = high - 0.01
    velocity[20:40, 1] = np.abs(velocity[20:40, 1]) + 0.1
    expected = bounce_step(position, velocity, low, high)
    given = (position.copy(), velocity.copy())
    got = answer(position, velocity, low, high)
    if not (np.array_equal(position, given[0]) and np.array_equal(velocity, given[1])):
        raise AssertionError("bounce_step changed the arrays it was given; compute new ones "
                             "(position + velocity makes a new array, += does not).")
    if not isinstance(got, tuple) or len(got) != 2:
        raise AssertionError("bounce_step must return a pair (new_position, new_velocity), got "
                             f"{type(got).__name__}.")
    case = f"arrays of shape {position.shape}, low={low:.3f}, high={high:.3f}"
    compare("new_position", got[0], expected[0], case)
    compare("new_velocity", got[1], expected[1], case)
    return f"bounce_step agrees with vidgen_tf.data.bounce_step on {cases} random cases."


@exercise("0.2", "motion_map(video)", reimplements="vidgen_tf.metrics.frame_differences")
def check_motion_map(answer, rng):
    trials = 5
    for _ in range(trials):
        shape = (rng.integers(2, 9), rng.integers(4, 17), rng.integers(4, 17), rng.choice([1, 3]))
        video = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
        video[1] = video[0]                          # a frame with no motion at all
        compare("motion_map(video)", answer(video.copy()), frame_differences(video),
                f"a random video of shape {shape}")
    return ("motion_map agrees with vidgen_tf.metrics.frame_differences on "
            f"{trials} random videos.")


@exercise("0.3", "psnr_from_definition(frame, reference)", reimplements="vidgen_tf.metrics.psnr")
def check_psnr(answer, rng):
    from vidgen_tf.metrics import psnr

    trials = 20
    for _ in range(trials):
        shape = (rng.integers(4, 33), rng.integers(4, 33), rng.choice([1, 3]))
        reference = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
        noise = rng.uniform(0.01, 0.5)
        frame = np.clip(reference + rng.normal(0, noise, size=shape), -1, 1).astype(np.float32)
        expected = float(psnr(frame[None, None], reference[None, None])[0])
        got = answer(frame.copy(), reference.copy())
        compare("psnr_from_definition", np.float64(got), expected,
                f"frames of shape {shape} with noise {noise:.3f}", rtol=1e-4, atol=1e-3)
    return f"psnr_from_definition agrees with vidgen_tf.metrics.psnr on {trials} noisy frames."

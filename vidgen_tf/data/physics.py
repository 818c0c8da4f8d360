"""Bouncing motion inside a box: the physics of the synthetic datasets.

An object's position is the top-left corner of its sprite, in pixels, as ``(y, x)``. It moves
by its velocity every frame and bounces off the walls ``low`` and ``high`` (the sprite must
stay inside the frame, so ``high = frame_size - sprite_size``). A bounce mirrors the position
about the wall and flips that component of the velocity.

Two forms of the same physics:

- ``bounce_step``: one frame at a time, as a student writes it (exercise 0.1).
- ``bounce_trajectories``: every frame at once, in closed form, as the datasets use it.
  Unfolding the box: the free path ``u = start + velocity * t`` folded into ``[low, high]``
  by a triangle wave of period ``2 (high - low)``.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np

# Compass names of the 8 directions, indexed counter-clockwise from "right". Image rows grow
# downwards, so "up" is a negative y velocity.
DIRECTIONS = ("right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right")


def bounce_step(position, velocity, low, high):
    """Move one frame and bounce off the walls.

    Args:
        position: array of any shape. Positions (each coordinate independently).
        velocity: array of the same shape. Displacement per frame; ``|velocity|`` must not
            exceed ``high - low`` (one bounce per frame at most).
        low: float or array broadcastable to ``position``. The lower wall.
        high: float or array broadcastable to ``position``. The upper wall.

    Returns:
        ``(new_position, new_velocity)``, arrays of the shape of ``position``. A position that
        would pass a wall is mirrored about it (``2 * wall - position``) and its velocity
        changes sign; a position exactly on a wall does not bounce.
    """
    position = np.asarray(position, dtype=np.float64) + np.asarray(velocity, np.float64)
    velocity = np.array(velocity, dtype=np.float64, copy=True)
    below = position < low
    position = np.where(below, 2.0 * np.asarray(low) - position, position)
    velocity = np.where(below, -velocity, velocity)
    above = position > high
    position = np.where(above, 2.0 * np.asarray(high) - position, position)
    velocity = np.where(above, -velocity, velocity)
    return position, velocity


def bounce_trajectories(start, velocity, num_frames, low, high):
    """Positions and velocities of bouncing objects for every frame, in closed form.

    Equal (to rounding) to applying ``bounce_step`` ``num_frames - 1`` times.

    Args:
        start: array ``(..., 2)`` or any shape. Positions at frame 0, inside ``[low, high]``.
        velocity: array of the same shape. Velocities at frame 0.
        num_frames: int. Number of frames ``T``.
        low: float or array broadcastable to ``start``. The lower wall.
        high: float or array broadcastable to ``start``. The upper wall; ``high > low``.

    Returns:
        ``(positions, velocities)``, float64 arrays of shape ``(T,) + start.shape`` moved to
        axis 1 when ``start`` has a batch axis, that is ``(batch, T, ...)``; for a 0-d or
        1-d ``start`` the time axis comes first.
    """
    start = np.asarray(start, dtype=np.float64)
    velocity = np.asarray(velocity, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    if np.any(high <= low):
        raise ValueError(f"bounce_trajectories needs high > low, got low={low}, high={high}.")
    t = np.arange(num_frames, dtype=np.float64).reshape((num_frames,) + (1,) * start.ndim)
    span = high - low
    unfolded = start - low + velocity * t                          # (T, ...)
    phase = np.mod(unfolded, 2.0 * span)
    positions = low + np.where(phase <= span, phase, 2.0 * span - phase)
    # Bounces so far: walls strictly passed, as in bounce_step (touching a wall is no bounce).
    bounces = np.where(unfolded > 0, np.ceil(unfolded / span) - 1, -np.floor(unfolded / span))
    velocities = velocity * np.where(np.mod(bounces, 2) == 0, 1.0, -1.0)
    if start.ndim >= 2:
        positions = np.moveaxis(positions, 0, 1)
        velocities = np.moveaxis(velocities, 0, 1)
    return positions, velocities


def random_velocities(rng, shape, speed_range):
    """Velocities with a uniform random direction and a uniform random speed.

    Args:
        rng: ``numpy.random.Generator``.
        shape: tuple. Leading shape; the result has shape ``shape + (2,)`` as ``(dy, dx)``.
        speed_range: ``(min, max)`` speed in pixels per frame.

    Returns:
        float64 array ``shape + (2,)``.
    """
    angle = rng.uniform(0.0, 2.0 * np.pi, size=shape)
    speed = rng.uniform(speed_range[0], speed_range[1], size=shape)
    # y grows downwards: a positive angle (counter-clockwise on screen) means moving up.
    return np.stack([-speed * np.sin(angle), speed * np.cos(angle)], axis=-1)


def direction_index(velocity):
    """The nearest of the 8 compass ``DIRECTIONS`` for velocities ``(..., 2)`` as ``(dy, dx)``.

    Returns:
        int array of shape ``velocity.shape[:-1]`` with values in ``0..7``.
    """
    velocity = np.asarray(velocity, dtype=np.float64)
    angle = np.arctan2(-velocity[..., 0], velocity[..., 1])
    return (np.round(angle / (np.pi / 4)).astype(np.int64) % 8).astype(np.int32)


def random_motion(rng, num_clips, max_objects, count_range, num_frames, sprite_size,
                  image_size, speed_range):
    """Random bouncing motion for several objects per clip, all clips at once.

    Args:
        rng: ``numpy.random.Generator``.
        num_clips: int ``N``.
        max_objects: int ``K``; slots beyond a clip's object count are marked absent.
        count_range: ``(min, max)`` objects per clip.
        num_frames: int ``T``.
        sprite_size: int ``P``. Side of each object's square patch.
        image_size: int. Side of the frame.
        speed_range: ``(min, max)`` speed in pixels per frame.

    Returns:
        dict of arrays: ``present`` bool ``(N, K)``; ``num_objects`` int32 ``(N,)``;
        ``corners`` int ``(N, T, K, 2)`` top-left pixel of each patch in each frame;
        ``positions`` float32 ``(N, T, K, 2)`` centre ``(y, x)`` of each patch as drawn;
        ``velocities`` float32 ``(N, T, K, 2)``; ``directions`` int32 ``(N, K)`` compass
        index of the first motion; ``speeds`` float32 ``(N, K)``. Absent slots hold 0
        (``directions`` -1).
    """
    num_objects = rng.integers(count_range[0], count_range[1] + 1, size=num_clips)
    present = np.arange(max_objects)[None, :] < num_objects[:, None]
    high = float(image_size - sprite_size)
    start = rng.uniform(0.0, high, size=(num_clips, max_objects, 2))
    velocity = random_velocities(rng, (num_clips, max_objects), speed_range)
    positions, velocities = bounce_trajectories(start, velocity, num_frames, 0.0, high)
    corners = np.clip(np.round(positions), 0, high).astype(np.int64)
    mask = present[:, None, :, None]
    return {
        "present": present,
        "num_objects": num_objects.astype(np.int32),
        "corners": corners,
        "positions": np.where(mask, corners + (sprite_size - 1) / 2.0, 0.0).astype(np.float32),
        "velocities": np.where(mask, velocities, 0.0).astype(np.float32),
        "directions": np.where(present, direction_index(velocity), -1).astype(np.int32),
        "speeds": np.where(present, np.linalg.norm(velocity, axis=-1), 0.0).astype(np.float32),
    }

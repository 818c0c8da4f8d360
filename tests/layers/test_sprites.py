"""PlaceSprites: placement against NumPy, bilinear shifts, gradients to the positions, and
errors on bad input."""

import numpy as np
import pytest

import keras
from tests.harness import run_model_test
from vidgen_tf.layers import BouncingPath, PlaceSprites, StraightVelocity
from vidgen_tf.layers.sprites import interpolation_matrix

RNG = np.random.default_rng(0)


def numpy_place(sprite, top, left, canvas):
    """Bilinear placement by hand: each sprite pixel spreads over the (up to) four canvas
    pixels around ``(top + i, left + j)``."""
    light = (sprite + 1) / 2
    out = np.zeros((canvas, canvas) + sprite.shape[2:], np.float64)
    ty, tx = int(np.floor(top)), int(np.floor(left))
    fy, fx = top - ty, left - tx
    for i in range(sprite.shape[0]):
        for j in range(sprite.shape[1]):
            for dy, wy in ((0, 1 - fy), (1, fy)):
                for dx, wx in ((0, 1 - fx), (1, fx)):
                    y, x = ty + i + dy, tx + j + dx
                    if 0 <= y < canvas and 0 <= x < canvas and wy * wx > 0:
                        out[y, x] += wy * wx * light[i, j]
    return out * 2 - 1


def test_whole_pixel_positions_copy_the_sprite():
    sprite = RNG.uniform(-1, 1, (1, 4, 4, 1, 2)).astype("float32")
    positions = np.array([[[[0, 0]], [[3, 5]], [[6, 6]]]], "float32")       # (1, 3, 1, 2)
    clip = np.asarray(PlaceSprites(10)([sprite, positions]))
    assert clip.shape == (1, 3, 10, 10, 2)
    for t, (top, left) in enumerate([(0, 0), (3, 5), (6, 6)]):
        expected = np.full((10, 10, 2), -1.0, "float32")
        expected[top:top + 4, left:left + 4] = sprite[0, :, :, 0]
        np.testing.assert_allclose(clip[0, t], expected, atol=1e-6)


def test_fractional_positions_interpolate_bilinearly():
    sprite = RNG.uniform(-1, 1, (2, 5, 5, 1, 1)).astype("float32")
    positions = RNG.uniform(0, 7, (2, 4, 1, 2)).astype("float32")
    clip = np.asarray(PlaceSprites(12)([sprite, positions]))
    for b in range(2):
        for t in range(4):
            top, left = positions[b, t, 0]
            np.testing.assert_allclose(
                clip[b, t], numpy_place(sprite[b, :, :, 0], top, left, 12), atol=1e-5)


def test_placement_inside_the_canvas_keeps_the_sprites_light():
    """The bilinear weights of each sprite pixel sum to one: moving a sprite conserves its
    total brightness as long as it stays inside the canvas."""
    sprite = RNG.uniform(-1, 1, (1, 6, 6, 1, 1)).astype("float32")
    positions = RNG.uniform(0, 10, (1, 8, 1, 2)).astype("float32")       # 6 + 10 = 16
    clip = np.asarray(PlaceSprites(16)([sprite, positions]))
    light = ((clip + 1) / 2).sum(axis=(2, 3, 4))[0]
    np.testing.assert_allclose(light, ((sprite + 1) / 2).sum(), rtol=1e-5)


def test_overlapping_sprites_combine_by_their_maximum():
    sprites = RNG.uniform(-1, 1, (1, 4, 4, 2, 1)).astype("float32")
    positions = np.array([[[[1, 1], [2, 3]]]], "float32")                   # (1, 1, 2, 2)
    clip = np.asarray(PlaceSprites(8)([sprites, positions]))[0, 0]
    a = numpy_place(sprites[0, :, :, 0], 1, 1, 8)
    b = numpy_place(sprites[0, :, :, 1], 2, 3, 8)
    np.testing.assert_allclose(clip, np.maximum(a, b), atol=1e-6)


def test_gradients_reach_the_positions():
    """The frame is piecewise linear in the position: the gradient of a pixel sum equals the
    finite difference inside one linear piece."""
    import tensorflow as tf

    layer = PlaceSprites(12)
    sprite = tf.constant(RNG.uniform(-1, 1, (1, 5, 5, 1, 1)).astype("float32"))
    weights = tf.constant(RNG.uniform(size=(1, 1, 12, 12, 1)).astype("float32"))
    positions = tf.Variable([[[[3.3, 4.6]]]])
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(layer([sprite, positions]) * weights)
    grad = tape.gradient(value, positions).numpy()[0, 0, 0]
    assert np.all(np.abs(grad) > 1e-3)
    eps = 1e-2
    for axis in range(2):
        shift = np.zeros((1, 1, 1, 2), "float32")
        shift[..., axis] = eps
        up = tf.reduce_sum(layer([sprite, positions + shift]) * weights)
        down = tf.reduce_sum(layer([sprite, positions - shift]) * weights)
        np.testing.assert_allclose(grad[axis], (up - down).numpy() / (2 * eps), rtol=1e-2)


def test_whole_pixels_copy_at_rounded_positions_with_bilinear_gradients():
    """Straight-through: the forward pass is the sharp copy at the rounded position, the
    gradient that of the bilinear placement."""
    import tensorflow as tf

    sprite = tf.constant(RNG.uniform(-1, 1, (1, 5, 5, 1, 1)).astype("float32"))
    weights = tf.constant(RNG.uniform(size=(1, 1, 12, 12, 1)).astype("float32"))
    positions = tf.Variable([[[[3.3, 4.6]]]])
    sharp, smooth = PlaceSprites(12, whole_pixels=True), PlaceSprites(12)
    grads = []
    for layer in (sharp, smooth):
        with tf.GradientTape() as tape:
            value = tf.reduce_sum(layer([sprite, positions]) * weights)
        grads.append(tape.gradient(value, positions).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
    np.testing.assert_allclose(sharp([sprite, positions]),
                               smooth([sprite, tf.constant([[[[3.0, 5.0]]]])]), atol=1e-6)
    assert PlaceSprites.from_config(sharp.get_config()).whole_pixels


def test_interpolation_matrix_rows_are_hat_functions():
    m = np.asarray(interpolation_matrix(np.array([1.25], "float32"), 5, 3))[0]
    expected = np.zeros((5, 3))
    for i in range(3):                 # sprite row i lands 0.75 on row 1 + i, 0.25 on 2 + i
        expected[1 + i, i], expected[2 + i, i] = 0.75, 0.25
    np.testing.assert_allclose(m, expected, atol=1e-6)


def test_config_round_trip_and_errors():
    layer = PlaceSprites(16, name="place")
    clone = PlaceSprites.from_config(layer.get_config())
    assert clone.canvas_size == 16 and clone.name == "place"
    assert keras.saving.get_registered_object("vidgen_tf>PlaceSprites") is PlaceSprites
    with pytest.raises(ValueError, match="canvas_size must be a positive integer"):
        PlaceSprites(0)
    sprites = np.zeros((1, 4, 4, 2, 1), "float32")
    with pytest.raises(ValueError, match="2 sprites but positions for 1"):
        PlaceSprites(8)([sprites, np.zeros((1, 3, 1, 2), "float32")])
    with pytest.raises(ValueError, match=r"expected sprites \(B, S, S, K, C\)"):
        PlaceSprites(8)([sprites[..., 0], np.zeros((1, 3, 2, 2), "float32")])


@pytest.mark.parametrize("whole_pixels", [False, True])
def test_place_sprites_contract(whole_pixels, tmp_path):
    """The shared harness: two inputs (sprites and positions), no weights."""
    sprites = RNG.uniform(-1, 1, (2, 4, 4, 2, 1)).astype("float32")
    positions = RNG.uniform(0, 4, (2, 3, 2, 2)).astype("float32")
    run_model_test(PlaceSprites(8, whole_pixels=whole_pixels, name="place"),
                   [sprites, positions], {"output": (2, 3, 8, 8, 1)}, trainable_params=0,
                   tmp_path=tmp_path, fit=False)


def numpy_bounce(start, velocity, extent, max_speed):
    """A ball between two walls, frame by frame: move, and at a wall crossed mirror the
    position and reverse the direction (later velocities then push the other way)."""
    b, t, k, _ = velocity.shape
    out = np.zeros((b, t, k, 2))
    p = extent * start.astype(np.float64)
    direction = np.ones_like(p)
    for i in range(t):
        out[:, i] = p
        p = p + direction * max_speed * velocity[:, i]
        for _ in range(3):                 # steps are shorter than the room: one wall a step
            over, under = p > extent, p < 0
            p = np.where(over, 2 * extent - p, np.where(under, -p, p))
            direction = np.where(over | under, -direction, direction)
    return out


def test_bouncing_path_against_a_ball_between_walls():
    start = RNG.uniform(0, 1, (3, 2, 2)).astype("float32")
    velocity = RNG.uniform(-1, 1, (3, 20, 2, 2)).astype("float32")
    positions = np.asarray(BouncingPath(5.0, 2.0)([start, velocity]))
    assert positions.shape == (3, 20, 2, 2)
    # float32 sums of up to 20 steps of <= 2 pixels: errors around 1e-5
    np.testing.assert_allclose(positions, numpy_bounce(start, velocity, 5.0, 2.0), atol=1e-4)
    assert positions.min() >= 0 and positions.max() <= 5.0


def test_bouncing_path_constant_velocity_is_constant_speed():
    """A constant velocity moves max_speed * |v| per frame, walls included (a reflection
    keeps the distance travelled)."""
    start = np.array([[[0.5, 0.1]]], "float32")
    velocity = np.tile(np.array([0.75, -0.5], "float32"), (1, 30, 1, 1))
    positions = np.asarray(BouncingPath(8.0, 2.0)([start, velocity]))[0, :, 0]
    np.testing.assert_allclose(np.abs(np.diff(positions, axis=0)).max(axis=0), [1.5, 1.0],
                               atol=1e-5)
    assert positions[:, 0].max() == pytest.approx(8.0, abs=1.5)        # reached a wall


def test_bouncing_path_contract_and_gradients(tmp_path):
    start = RNG.uniform(0, 1, (2, 1, 2)).astype("float32")
    velocity = RNG.uniform(-1, 1, (2, 6, 1, 2)).astype("float32")
    run_model_test(BouncingPath(16.0, 2.0), [start, velocity], {"output": (2, 6, 1, 2)},
                   trainable_params=0, tmp_path=tmp_path, fit=False)
    import tensorflow as tf

    s, v = tf.constant(start), tf.constant(velocity)
    with tf.GradientTape() as tape:
        tape.watch(v)
        total = tf.reduce_sum(BouncingPath(16.0, 2.0)([s, v])[:, -1])
    grad = tape.gradient(total, v).numpy()
    # the last position depends on every velocity but its own, each with weight +-2 (a
    # reflection flips the sign)
    np.testing.assert_allclose(np.abs(grad[:, :-1]), 2.0, atol=1e-6)
    np.testing.assert_array_equal(grad[:, -1], 0.0)


def test_bouncing_path_bad_input_is_named():
    with pytest.raises(ValueError, match="extent and max_speed"):
        BouncingPath(0.0, 1.0)
    with pytest.raises(ValueError, match=r"start \(B, K, 2\)"):
        BouncingPath(4.0, 1.0)([np.zeros((2, 2), "float32"), np.zeros((2, 3, 1, 2), "float32")])


def test_straight_velocity_is_speed_times_a_unit_direction_in_every_frame(tmp_path):
    direction = RNG.normal(size=(3, 2, 2)).astype("float32")
    speed = RNG.uniform(0, 1, (3, 2, 1)).astype("float32")
    velocity = np.asarray(StraightVelocity(5)([direction, speed]))
    assert velocity.shape == (3, 5, 2, 2)
    expected = speed * direction / np.linalg.norm(direction, axis=-1, keepdims=True)
    for t in range(5):
        np.testing.assert_allclose(velocity[:, t], expected, rtol=1e-5, atol=1e-6)
    # the length is the speed whatever the direction's own length
    np.testing.assert_allclose(np.linalg.norm(velocity, axis=-1), speed[:, None, :, 0].repeat(
        5, axis=1), rtol=1e-5)
    run_model_test(StraightVelocity(5), [direction, speed], {"output": (3, 5, 2, 2)},
                   trainable_params=0, tmp_path=tmp_path, fit=False)
    with pytest.raises(ValueError, match="num_frames must be a positive integer"):
        StraightVelocity(0)
    with pytest.raises(ValueError, match=r"direction \(B, K, 2\) and speed \(B, K, 1\)"):
        StraightVelocity(3)([direction, speed[..., 0]])

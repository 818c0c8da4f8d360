"""SpriteVAE: the Keras contract, the what/where structure, conditioning, the loss, learning."""

import numpy as np
import pytest

from tests.harness import conv_params, dense_params, norm_params, run_model_test
from vidgen_tf.models.sprite_vae import SpriteVAE

RNG = np.random.default_rng(0)


def small(**kwargs):
    return SpriteVAE((4, 16, 16, 1), what_dim=3, where_dim=2, width=16, encoder_widths=(4, 8),
                     **kwargs)


def test_contract(tmp_path):
    x = RNG.uniform(-1, 1, (2, 4, 16, 16, 1)).astype("float32")
    model = small()
    # encoder: per frame, fold 2x2 (1 -> 4 values) and project 4 -> 4; fold (4 -> 16) and
    # project 16 -> 8; the 4x4x8 features -> 64; the 4 frames' 4 x 64 -> 256 -> 2 x 5
    encoder = (dense_params(4, 4) + dense_params(16, 8) + dense_params(128, 64)
               + dense_params(256, 256) + dense_params(256, 10))
    # decoder: the sprite (8x8, one level above 4x4) from z_what: 3 -> 4 x 4 x 16, then an
    # upsampling stage 16 -> 16 (3x3 conv and a group norm; widths halve per level but stay
    # >= 16) and a 3x3 conv 16 -> 1; the path
    # from z_where: 2 -> 1 step x 16, one 1-D transposed conv (kernel 4) to 2 steps and one
    # to 4, then a 1-D conv (kernel 3) 16 -> 2 coordinates
    decoder = (dense_params(3, 256) + conv_params(9, 16, 16) + norm_params(16)
               + conv_params(9, 16, 1)
               + dense_params(2, 16) + 2 * conv_params(4, 16, 16) + conv_params(3, 16, 2))
    # the prior generate() draws from: a mean (5) and a 5x5 scale, fitted, not trained
    run_model_test(model, x, {"reconstruction": x.shape, "mean": (2, 5), "log_var": (2, 5)},
                   tmp_path=tmp_path, trainable_params=encoder + decoder,
                   non_trainable_params=5 + 25,
                   float32_outputs=("reconstruction", "mean", "log_var"))


def frame_mass(clips):
    """Total light ((x + 1) / 2) of each frame ``(B, T)``."""
    return np.sum((np.asarray(clips, np.float64) + 1) / 2, axis=(2, 3, 4))


def test_every_frame_shows_the_same_sprite():
    """The decoder draws one sprite per clip and moves it: each frame holds the same amount
    of light (bilinear placement spreads a pixel's light over its neighbours but keeps it all,
    and the sigmoid-bounded path keeps the sprite inside the frame), and clips whose z_what
    agree and whose z_where differ hold the same light too."""
    model = small()
    z = RNG.normal(size=(3, 5)).astype("float32")
    clips = np.asarray(model.decode(z))
    mass = frame_mass(clips)
    # float32 sums of 256 values in [0, 1]: a relative error around 1e-6
    np.testing.assert_allclose(mass, mass[:, :1].repeat(4, axis=1), rtol=1e-4)
    moved = z.copy()
    moved[:, 3:] = RNG.normal(size=(3, 2))
    np.testing.assert_allclose(frame_mass(model.decode(moved)), mass, rtol=1e-4)
    assert not np.allclose(np.asarray(model.decode(moved)), clips, atol=1e-3)


def test_z_what_changes_the_sprite():
    """Changing z_what changes the image the frames show (its light, here)."""
    model = small()
    z = RNG.normal(size=(1, 5)).astype("float32")
    other = z.copy()
    other[:, :3] = RNG.normal(size=(1, 3))
    assert not np.allclose(frame_mass(model.decode(other)), frame_mass(model.decode(z)),
                           rtol=1e-3)


@pytest.mark.parametrize("what_beta", [None, 4.0])
def test_loss_is_the_negative_elbo_per_value(what_beta):
    model = small(beta=2.0, what_beta=what_beta, sigma=0.5)
    x = RNG.uniform(-1, 1, (3, 4, 16, 16, 1)).astype("float32")
    noise = RNG.normal(size=(3, 5)).astype("float32")
    out = model({"video": x, "noise": noise}, training=True)
    loss = float(model.compute_loss(x={"video": x, "noise": noise}, y_pred=out))
    recon, mean, log_var = (np.asarray(out[k], np.float64)
                            for k in ("reconstruction", "mean", "log_var"))
    np.testing.assert_allclose(model.decode(mean + np.exp(0.5 * log_var) * noise), recon,
                               atol=1e-5)
    squared = np.sum((x - recon) ** 2, axis=(1, 2, 3, 4))
    kl = 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var)      # per latent number
    # z_what is the first what_dim (3) numbers: its KL weighs what_beta (beta when None)
    what = 2.0 if what_beta is None else what_beta
    weighted = what * kl[:, :3].sum(1) + 2.0 * kl[:, 3:].sum(1)
    expected = np.mean(squared / (2 * 0.25) + weighted) / x[0].size
    assert loss == pytest.approx(expected, rel=1e-5)


def test_conditional_decoder_draws_the_label_asked():
    model = small(num_classes=10)
    z = np.repeat(RNG.normal(size=(1, 5)).astype("float32"), 2, axis=0)
    a = np.asarray(model.decode(z, np.array([3, 3])))
    np.testing.assert_allclose(a[0], a[1], atol=1e-6)
    b = np.asarray(model.decode(z, np.array([3, 7])))
    assert not np.allclose(b[0], b[1], atol=1e-4)
    clips = np.asarray(model.generate(4, seed=1, labels=[0, 1, 2, 3]))
    np.testing.assert_array_equal(clips, np.asarray(model.generate(4, seed=1,
                                                                   labels=[0, 1, 2, 3])))
    assert clips.shape == (4, 4, 16, 16, 1) and clips.min() >= -1 and clips.max() <= 1


def test_labels_are_checked():
    with pytest.raises(ValueError, match="needs labels"):
        small(num_classes=10).decode(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="unconditional"):
        small().generate(2, labels=[1, 2])
    with pytest.raises(ValueError, match=r"\(batch,\) or \(batch, 1\)"):
        small(num_classes=10).decode(np.zeros((2, 5), "float32"), np.zeros((2, 2), "int32"))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="square"):
        SpriteVAE((4, 24, 24, 1))
    with pytest.raises(ValueError, match="what_dim and where_dim"):
        SpriteVAE((4, 16, 16, 1), what_dim=0)
    with pytest.raises(ValueError, match="divisible"):
        SpriteVAE((4, 16, 16, 1), encoder_widths=(4, 4, 4, 4, 4))
    with pytest.raises(ValueError, match="what_beta must be a number >= 0"):
        SpriteVAE((4, 16, 16, 1), what_beta=-1.0)
    with pytest.raises(ValueError, match="what_beta must be a number >= 0 .or None., got 'x'"):
        SpriteVAE((4, 16, 16, 1), what_beta="x")


def test_conditional_model_fits_and_reloads(tmp_path):
    """One fit step on dicts with labels, then save and load (the harness reloads the
    unconditional model in a fresh process; here the decoder with its label input)."""
    import keras

    model = small(num_classes=10)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = RNG.uniform(-1, 1, (4, 4, 16, 16, 1)).astype("float32")
    digits = np.array([[1], [2], [3], [4]], "int32")
    history = model.fit({"video": x, "digits": digits}, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert (loaded.num_classes, loaded.what_dim, loaded.where_dim) == (10, 3, 2)
    z = RNG.normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(loaded.decode(z, digits), model.decode(z, digits), atol=1e-6)


def test_learns_to_reconstruct_moving_digits():
    """A few hundred steps on one moving digit: the held-out reconstruction error falls to
    well below that of a black clip (the sprite found its place and its shape)."""
    import keras

    from vidgen_tf.data import MovingDigits, make_dataset, to_float

    keras.utils.set_random_seed(0)
    model = SpriteVAE((4, 16, 16, 1), what_dim=8, where_dim=4, width=32,
                      encoder_widths=(16, 32))
    model.compile(optimizer=keras.optimizers.Adam(2e-3))
    source = MovingDigits(num_frames=4, image_size=16, num_digits=1)
    test = np.asarray(to_float(MovingDigits(num_frames=4, image_size=16, num_digits=1,
                                            split="test").generate(64)["video"]))
    model.fit(make_dataset(source, 32, shuffle=False), steps_per_epoch=300, epochs=1,
              verbose=0)
    error = float(np.mean((np.asarray(model.reconstruct(test)) - test) ** 2))
    black = float(np.mean((-1.0 - test) ** 2))
    assert error < 0.4 * black, (error, black)


def test_label_values_are_checked_and_motion_is_named():
    model = small(num_classes=10)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 10\).*from 3 to 12"):
        model.generate(2, labels=[3, 12])
    with pytest.raises(ValueError, match="motion must be one of"):
        small(motion="teleport")
    with pytest.raises(ValueError, match="num_classes must be >= 0"):
        small(num_classes=-1)


def test_straight_paths_bounce_inside_the_frame_at_bounded_constant_speed():
    """motion="straight": one speed per clip, at most extent / 6 pixels per frame, positions in
    [0, extent] (16x16 frames, 8x8 sprites: extent 8); the path's frame-to-frame distances are
    equal except where it meets a wall."""
    import keras

    model = small(motion="straight")
    where = keras.Model(model.decoder.inputs, model.decoder.get_layer("positions").output)
    positions = np.asarray(where([RNG.normal(size=(6, 3)).astype("float32"),
                                  RNG.normal(size=(6, 2)).astype("float32")]))[:, :, 0]
    assert positions.shape == (6, 4, 2)
    assert positions.min() >= 0 and positions.max() <= 8 + 1e-5
    steps = np.abs(np.diff(positions, axis=1))                  # (6, 3, 2) per axis
    assert steps.max() <= 8 / 6 + 1e-5
    # a clip whose every position is more than one step from the walls met none of them
    margin = 8 / 6
    inside = ((positions > margin) & (positions < 8 - margin)).all(axis=(1, 2))
    assert inside.any()
    for clip in np.flatnonzero(inside):
        np.testing.assert_allclose(steps[clip], steps[clip, :1].repeat(3, axis=0), atol=1e-4)

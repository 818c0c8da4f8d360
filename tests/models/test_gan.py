"""The video GAN: the Keras contract, generators' structure, and the order and values of
the adversarial train step."""

import numpy as np
import pytest

import keras
from tests.harness import run_model_test
from vidgen_tf.losses import hinge_d_loss, hinge_g_loss
from vidgen_tf.models import VideoGAN
from vidgen_tf.models.gan import GENERATORS

RNG = np.random.default_rng(0)
SHAPE = (4, 16, 16, 1)


def small_gan(**kwargs):
    options = dict(latent_dim=8, generator_width=32, discriminator_width=8)
    options.update(kwargs)
    return VideoGAN(SHAPE, **options)


@pytest.mark.parametrize("kind", GENERATORS)
def test_gan_contract(kind, tmp_path):
    z = RNG.normal(size=(2, 8)).astype("float32")
    model = small_gan(generator=kind)
    run_model_test(model, z, {"output": (2,) + SHAPE}, tmp_path=tmp_path, fit=False)
    clips = np.asarray(model(z))
    assert clips.min() >= -1 and clips.max() <= 1
    assert not np.allclose(clips[0], clips[1])           # the noise matters


def test_two_stream_clip_is_the_masked_composite():
    model = small_gan(generator="two_stream")
    g = model.generator
    parts = keras.Model(g.input, [g.get_layer(n).output for n in
                                  ("to_video", "to_mask", "to_background")] + [g.output])
    foreground, mask, background, clip = (np.asarray(v) for v in
                                          parts(RNG.normal(size=(3, 8)).astype("float32")))
    assert background.shape == (3, 16, 16, 1) and mask.shape == (3, 4, 16, 16, 1)
    expected = mask * foreground + (1 - mask) * background[:, None]
    np.testing.assert_allclose(clip, expected, atol=1e-6)


def test_temporal_generator_shares_content_across_frames():
    """TGAN: the same z gives the same clip; frames differ through their frame codes."""
    model = small_gan(generator="temporal")
    z = RNG.normal(size=(1, 8)).astype("float32")
    clip = np.asarray(model(z))
    np.testing.assert_array_equal(clip, np.asarray(model(z)))
    assert not np.allclose(clip[0, 0], clip[0, -1])
    assert model.generator.get_layer("frame_codes").output.shape == (None, 4, 8)


def test_sprite_generator_moves_one_drawing_along_a_path():
    """Every frame is the same sprite placed at that frame's position, inside the frame."""
    from vidgen_tf.layers import PlaceSprites

    model = small_gan(generator="sprite", num_sprites=2)
    g = model.generator
    parts = keras.Model(g.input, [g.get_layer("sprites").output,
                                  g.get_layer("positions").output, g.output])
    sprites, positions, clip = (np.asarray(v) for v in
                                parts(RNG.normal(size=(3, 8)).astype("float32")))
    assert sprites.shape == (3, 8, 8, 2, 1) and positions.shape == (3, 4, 2, 2)
    assert positions.min() >= 0 and positions.max() <= 16 - 8
    assert np.ptp(positions, axis=1).max() > 0.1                    # the sprites move
    np.testing.assert_allclose(clip, PlaceSprites(16, whole_pixels=True)([sprites, positions]),
                               atol=1e-6)
    with pytest.raises(ValueError, match="num_sprites must be a positive integer"):
        small_gan(generator="sprite", num_sprites=0)


def test_one_step_updates_the_discriminator_then_the_generator():
    """d_loss uses the old networks; g_loss uses the updated discriminator and old generator."""
    model = small_gan(frame_discriminator=False, r1_gamma=0.0)
    model.compile(generator_optimizer=keras.optimizers.SGD(0.1),
                  discriminator_optimizer=keras.optimizers.SGD(0.1))
    videos = RNG.uniform(-1, 1, (4,) + SHAPE).astype("float32")
    noise = RNG.normal(size=(4, 8)).astype("float32")
    fake = model.generator(noise)
    expected_d = float(hinge_d_loss(model.discriminator(videos), model.discriminator(fake)))
    g_before = [np.array(w) for w in model.generator.weights]
    d_before = [np.array(w) for w in model.discriminator.weights]
    logs = model.train_on_batch({"video": videos, "noise": noise}, return_dict=True)
    assert logs["d_loss"] == pytest.approx(expected_d, rel=1e-5)
    d_after = [np.array(w) for w in model.discriminator.weights]
    # g_loss: the new discriminator on the old generator's clips
    expected_g = float(hinge_g_loss(model.discriminator(fake)))
    assert logs["g_loss"] == pytest.approx(expected_g, rel=1e-4)
    assert any(not np.allclose(a, b) for a, b in zip(d_before, d_after))
    assert any(not np.allclose(a, np.array(b)) for a, b in zip(g_before,
                                                               model.generator.weights))
    assert int(model.generator_optimizer.iterations) == 1
    assert int(model.discriminator_optimizer.iterations) == 1
    assert logs["r1"] == 0 and logs["gp"] == 0


def test_penalties_are_logged_when_on():
    model = small_gan(r1_gamma=10.0, gp_weight=10.0, loss="wasserstein")
    model.compile()
    logs = model.train_on_batch(RNG.uniform(-1, 1, (2,) + SHAPE).astype("float32"),
                                return_dict=True)
    assert logs["r1"] > 0 and logs["gp"] > 0 and np.isfinite(logs["d_loss"])


def test_lazy_r1_applies_the_penalty_every_nth_step_with_n_times_the_weight():
    batch = {"video": RNG.uniform(-1, 1, (2,) + SHAPE).astype("float32"),
             "noise": RNG.normal(size=(2, 8)).astype("float32")}
    models = {}
    for every, gamma in ((2, 1.0), (1, 2.0)):
        keras.utils.set_random_seed(1)
        models[every] = small_gan(r1_gamma=gamma, r1_every=every, frame_discriminator=False)
        models[every].compile(generator_optimizer=keras.optimizers.SGD(0.01),
                              discriminator_optimizer=keras.optimizers.SGD(0.01))
    lazy, eager = models[2], models[1]
    for a, b in zip(lazy.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(a, b)
    # step 0 is due: 2 x R1 with gamma 1 == R1 with gamma 2
    logs_lazy = lazy.train_on_batch(batch, return_dict=True)
    logs_eager = eager.train_on_batch(batch, return_dict=True)
    assert logs_lazy["r1"] == pytest.approx(2 * logs_eager["r1"], rel=1e-5)
    assert logs_lazy["d_loss"] == pytest.approx(logs_eager["d_loss"], rel=1e-5)
    for a, b in zip(lazy.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # step 1 is not: no penalty at all
    lazy.reset_metrics()
    assert lazy.train_on_batch(batch, return_dict=True)["r1"] == 0
    with pytest.raises(ValueError, match="r1_every must be a positive integer, got 0"):
        small_gan(r1_every=0)


def test_generate_is_repeatable_with_a_seed():
    model = small_gan()
    np.testing.assert_array_equal(model.generate(2, seed=3), model.generate(2, seed=3))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="hinge"):
        small_gan(loss="least-squares")
    with pytest.raises(ValueError, match="temporal"):
        small_gan(generator="rnn")
    with pytest.raises(ValueError, match="power of two"):
        VideoGAN((4, 24, 24, 1))
    with pytest.raises(ValueError, match="square"):
        VideoGAN((4, 16, 32, 1), generator="conv3d")

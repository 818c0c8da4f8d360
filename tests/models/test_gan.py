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


def sgd_step_setup(model):
    """``model`` compiled with SGD (updates proportional to the gradients), and a batch of 4
    clips with their noise, for steps checked by hand."""
    model.compile(generator_optimizer=keras.optimizers.SGD(0.1),
                  discriminator_optimizer=keras.optimizers.SGD(0.1))
    return (model, RNG.uniform(-1, 1, (4,) + SHAPE).astype("float32"),
            RNG.normal(size=(4, 8)).astype("float32"))


def test_one_step_updates_the_discriminator_then_the_generator():
    """d_loss uses the old networks; g_loss uses the updated discriminator and old generator."""
    model, videos, noise = sgd_step_setup(small_gan(frame_discriminator=False, r1_gamma=0.0))
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


def conditional_gan(**kwargs):
    return small_gan(generator="sprite", num_classes=10, **kwargs)


def test_conditional_gan_round_trips_and_reloads_in_a_fresh_process(tmp_path):
    import json
    import subprocess
    import sys
    import textwrap

    model = conditional_gan(num_sprites=2)
    z = RNG.normal(size=(3, 8)).astype("float32")
    labels = np.array([[3, -1], [7, 1], [0, 9]], dtype="int32")
    clips = np.asarray(model([z, labels]))
    assert clips.shape == (3,) + SHAPE
    clone = VideoGAN.from_config(model.get_config())
    assert clone.get_config() == model.get_config() and clone.num_classes == 10
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(clone([z, labels])), clips, atol=1e-6)
    path = tmp_path / "gan.keras"
    model.save(path)
    np.savez(tmp_path / "inputs.npz", z=z, labels=labels)
    script = textwrap.dedent(f"""
        import json, numpy as np, keras
        import vidgen_tf.models
        model = keras.models.load_model({str(path)!r}, compile=False)
        inputs = np.load({str(tmp_path / 'inputs.npz')!r})
        print("RESULT " + json.dumps(np.asarray(model([inputs["z"], inputs["labels"]])).tolist()))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    line = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    np.testing.assert_allclose(np.asarray(json.loads(line[len("RESULT "):])), clips, atol=1e-5)


def test_conditional_generator_draws_the_labels_it_is_given():
    model = conditional_gan()
    z = np.repeat(RNG.normal(size=(1, 8)).astype("float32"), 3, axis=0)
    clips = np.asarray(model([z, np.array([[2], [2], [5]])]))
    np.testing.assert_array_equal(clips[0], clips[1])            # same noise, same label
    assert not np.allclose(clips[0], clips[2])                     # another label
    # generate draws labels in [0, 10) when none are given, repeatably with a seed
    np.testing.assert_array_equal(model.generate(4, seed=1), model.generate(4, seed=1))
    one = np.asarray(model.generate(1, seed=1, labels=[[4]]))
    assert one.shape == (1,) + SHAPE
    with pytest.raises(ValueError, match=r"labels must have shape \(batch, num_sprites\) = "
                                         r"\(2, 1\), got \(2, 3\)"):
        model.generate(2, labels=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="unconditional"):
        small_gan().generate(1, labels=[[1]])
    with pytest.raises(ValueError, match="num_classes must be 0"):
        small_gan(num_classes=-2)


def test_projection_discriminator_adds_the_label_embedding_dot_the_features():
    """logit(x, y) = w . h(x) + b + <E[y + 1], h(x)> (Miyato & Koyama), against NumPy."""
    model = conditional_gan(num_sprites=2)
    d = model.discriminator
    videos = RNG.uniform(-1, 1, (3,) + SHAPE).astype("float32")
    labels = np.array([[1, 4], [1, -1], [9, 9]], dtype="int32")
    flat = [layer for layer in d.layers if isinstance(layer, keras.layers.Flatten)][-1]
    h = np.asarray(keras.Model(d.inputs, flat.output)([videos, labels]))
    w, b = (np.asarray(v) for v in d.get_layer("logit").weights)
    table = np.asarray(d.get_layer("projection").embeddings)
    # give the table values far from its initialisation, so that the term counts
    table = RNG.normal(size=table.shape).astype("float32")
    d.get_layer("projection").embeddings.assign(table)
    expected = (h @ w)[:, 0] + b[0] + np.sum(table[labels + 1].sum(axis=1) * h, axis=1)
    np.testing.assert_allclose(np.asarray(d([videos, labels])), expected, rtol=1e-4,
                               atol=1e-4)


def test_conditional_step_draws_the_fakes_with_the_real_labels():
    """A step's losses by hand: d_loss = hinge(D(x, y), D(G(z, y), y)) with the old networks,
    g_loss = hinge_g(D'(G(z, y), y)) with the updated discriminator D'."""
    model, videos, noise = sgd_step_setup(conditional_gan(frame_discriminator=False,
                                                          r1_gamma=0.0))
    labels = np.array([[0], [3], [3], [8]], dtype="int32")
    d = model.discriminator
    fake = np.asarray(model.generator([noise, labels]))
    expected = float(hinge_d_loss(d([videos, labels]), d([fake, labels])))
    other = np.asarray(model.generator([noise, labels[::-1]]))
    wrong = float(hinge_d_loss(d([videos, labels]), d([other, labels])))
    assert abs(expected - wrong) > 1e-4                        # the labels make a difference
    logs = model.train_on_batch({"video": videos, "noise": noise, "digits": labels},
                                return_dict=True)
    assert logs["d_loss"] == pytest.approx(expected, rel=1e-5)
    assert logs["g_loss"] == pytest.approx(float(hinge_g_loss(d([fake, labels]))), rel=1e-4)
    with pytest.raises(ValueError, match=r"labels under 'digits'.*got videos without labels"):
        model.train_on_batch(videos)


def test_auxiliary_classifier_loss_against_numpy():
    """Sigmoid cross-entropy summed over classes against multi-hot targets: -1 is no object,
    a digit shown twice is still one target."""
    from vidgen_tf.models.gan import _multilabel_loss

    logits = RNG.normal(size=(3, 10)).astype("float32") * 3
    labels = np.array([[2, -1], [5, 5], [0, 9]])
    targets = np.zeros((3, 10))
    targets[0, 2] = targets[1, 5] = targets[2, 0] = targets[2, 9] = 1
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -(targets * np.log(p) + (1 - targets) * np.log(1 - p)).sum(axis=1).mean()
    assert float(_multilabel_loss(logits, labels, 10)) == pytest.approx(expected, rel=1e-5)


def test_auxiliary_classifier_trains_on_real_frames_and_steers_the_generator():
    model = conditional_gan(class_weight=1.0)
    head = model.frame_discriminator.get_layer("classes")
    assert head.units == 10 and len(model.frame_discriminator.outputs) == 2
    model.compile(generator_optimizer=keras.optimizers.SGD(0.05),
                  discriminator_optimizer=keras.optimizers.SGD(0.05))
    batch = {"video": RNG.uniform(-1, 1, (4,) + SHAPE).astype("float32"),
             "noise": RNG.normal(size=(4, 8)).astype("float32"),
             "digits": np.array([[1], [2], [3], [4]])}
    first = model.train_on_batch(batch, return_dict=True)
    # untrained: the head's logits are near 0, 10 classes x log 2 each
    assert first["class_loss"] == pytest.approx(10 * np.log(2), rel=0.2)
    assert np.isfinite(first["fake_class_loss"])
    for _ in range(10):
        model.reset_metrics()
        logs = model.train_on_batch(batch, return_dict=True)
    assert logs["class_loss"] < first["class_loss"]            # it learns the real labels
    plain = small_gan()
    plain.compile()
    assert "class_loss" not in plain.train_on_batch(batch["video"], return_dict=True)
    with pytest.raises(ValueError, match="class_weight=1.0 needs labels"):
        small_gan(class_weight=1.0)
    with pytest.raises(ValueError, match="frame_discriminator=False"):
        conditional_gan(class_weight=1.0, frame_discriminator=False)


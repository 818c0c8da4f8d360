"""The video GAN: the Keras contract, generators' structure, and the order and values of
the adversarial train step."""

import inspect

import numpy as np
import pytest

import keras
from tests.harness import conv_params, dense_params, norm_params, run_model_test
from vidgen_tf.losses import hinge_d_loss, hinge_g_loss
from vidgen_tf.models import VideoGAN
from vidgen_tf.models.gan import GENERATORS

RNG = np.random.default_rng(0)
SHAPE = (4, 16, 16, 1)


def small_gan(**kwargs):
    options = dict(latent_dim=8, generator_width=32, discriminator_width=8)
    options.update(kwargs)
    return VideoGAN(SHAPE, **options)


def small_gan_params(kind):
    """Trainable parameters of ``small_gan(generator=kind)``, counted by hand: frames 16x16
    (two upsampling levels), generator widths 32, 16, 16, latent 8, discriminator width 8."""
    up2d = lambda cin, cout: conv_params(9, cin, cout) + norm_params(cout)      # noqa: E731
    up3d = lambda cin, cout: conv_params(27, cin, cout) + norm_params(cout)     # noqa: E731
    # image stream: dense to 4x4x32, then 3x3 upsampling convs 32 -> 16 (-> 16), 3x3 output
    image = lambda d, levels, out: (dense_params(d, 4 * 4 * 32) + up2d(32, 16)  # noqa: E731
                                    + (up2d(16, 16) if levels == 2 else 0)
                                    + conv_params(9, 16, out))
    # TGAN's temporal generator: dense to 1 step of 32, two 1-D transposed convs (kernel 4)
    # 32 -> 32 doubling the length to 4 frames, a 1-D conv (kernel 3) to the frame codes
    codes = lambda out: (dense_params(8, 32) + 2 * conv_params(4, 32, 32)      # noqa: E731
                         + conv_params(3, 32, out))
    # 3-D stream: dense to 4x4x4x32, 3x3x3 upsampling convs 32 -> 16 -> 16, output conv
    stream3d = dense_params(8, 4 * 4 * 4 * 32) + up3d(32, 16) + up3d(16, 16)
    generator = {
        "conv3d": stream3d + conv_params(27, 16, 1),
        # + a mask head and a background image stream
        "two_stream": stream3d + 2 * conv_params(27, 16, 1) + image(8, 2, 1),
        # frames drawn from [z, frame code] (8 + 8 numbers)
        "temporal": codes(8) + image(16, 2, 1),
        # an 8x8 sprite (one level) and a path of (top, left) per frame
        "sprite": image(8, 1, 1) + codes(2),
    }[kind]
    # video critic: fold (2, 2, 2) 1 -> 8 channels, 2x2x2 conv to 8; fold (1, 2, 2) 8 -> 32,
    # 2x2x2 conv to 16; 2 x 4 x 4 x 16 features -> 1 logit
    video = conv_params(8, 8, 8) + conv_params(8, 32, 16) + dense_params(2 * 4 * 4 * 16, 1)
    # frame critic: 4x4 stride-2 convs 1 -> 8 -> 16; 4 x 4 x 16 features -> 1 logit
    frame = conv_params(16, 1, 8) + conv_params(16, 8, 16) + dense_params(4 * 4 * 16, 1)
    return generator + video + frame


@pytest.mark.parametrize("kind", GENERATORS)
def test_gan_contract(kind, tmp_path):
    z = RNG.normal(size=(2, 8)).astype("float32")
    model = small_gan(generator=kind)
    run_model_test(model, z, {"output": (2,) + SHAPE}, tmp_path=tmp_path, fit=False,
                   trainable_params=small_gan_params(kind))
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


@pytest.mark.parametrize("motion", ["positions", "bounce", "straight"])
def test_sprite_generator_moves_one_drawing_along_a_path(motion):
    """Every frame is the same sprite placed at that frame's position, inside the frame;
    bouncing paths move at most extent / 6 pixels per frame along an axis."""
    from vidgen_tf.layers import PlaceSprites

    model = small_gan(generator="sprite", num_sprites=2, motion=motion)
    g = model.generator
    parts = keras.Model(g.input, [g.get_layer("sprites").output,
                                  g.get_layer("positions").output, g.output])
    sprites, positions, clip = (np.asarray(v) for v in
                                parts(RNG.normal(size=(3, 8)).astype("float32")))
    assert sprites.shape == (3, 8, 8, 2, 1) and positions.shape == (3, 4, 2, 2)
    assert positions.min() >= 0 and positions.max() <= 16 - 8
    assert np.ptp(positions, axis=1).max() > 0.1                    # the sprites move
    if motion != "positions":           # float32 positions: 1e-5 of slack on the bound
        assert np.abs(np.diff(positions, axis=1)).max() <= (16 - 8) / 6 + 1e-5
    np.testing.assert_allclose(clip, PlaceSprites(16, whole_pixels=True)([sprites, positions]),
                               atol=1e-6)
    with pytest.raises(ValueError, match="num_sprites must be a positive integer"):
        small_gan(generator="sprite", num_sprites=0)
    with pytest.raises(ValueError, match="motion must be one of"):
        small_gan(generator="sprite", motion="teleport")
    with pytest.raises(ValueError, match="option of the sprite generator"):
        small_gan(generator="temporal", motion="bounce")


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


def next_frame_index(model):
    """The frame indices the frame discriminator judges in ``model``'s next train step: the
    step's first draw from the model's seed generator when the batch brings its noise (and
    its mixes), repeated here from a copy of the generator's state."""
    copy = keras.random.SeedGenerator(0)
    copy.state.assign(np.asarray(model.seed_generator.state))
    return np.asarray(keras.random.randint((model.frames_per_clip,), 0, model.video_shape[0],
                                           seed=copy))


def hand_critics(model, videos, index):
    """Video logits ``(B,)`` and frame logits averaged per clip ``(B,)``, the frames taken
    with NumPy-style indexing."""
    import tensorflow as tf

    t, h, w, c = model.video_shape
    frames = tf.reshape(tf.gather(videos, index, axis=1), (-1, h, w, c))
    video = tf.cast(model.discriminator(videos), tf.float32)
    frame = tf.reduce_mean(tf.reshape(tf.cast(model.frame_discriminator(frames), tf.float32),
                                      (-1, len(index))), axis=1)
    return video, frame


def hand_input_gradients(model, x, index):
    """``grad_x sum_b [D_video(x_b) + mean_k D_frame(x_b[k])]``, flattened per clip: the
    gradient the penalties are made of (recorded on any enclosing tape)."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(x)
        video, frame = hand_critics(model, x, index)
        total = tf.reduce_sum(video + frame)
    return tf.reshape(tape.gradient(total, x), (x.shape[0], -1))


def hand_d_loss(model, videos, fake, index, mix=None, r1_due=True):
    """The discriminator loss of a step, and its parts, by hand (TensorFlow ops, so that the
    caller's tape can differentiate it, R1's double back-propagation included)."""
    import tensorflow as tf

    relu = tf.nn.relu
    real_v, real_f = hand_critics(model, videos, index)
    fake_v, fake_f = hand_critics(model, fake, index)
    if model.loss_name == "hinge":
        adversarial = (tf.reduce_mean(relu(1 - real_v)) + tf.reduce_mean(relu(1 + fake_v))
                       + tf.reduce_mean(relu(1 - real_f)) + tf.reduce_mean(relu(1 + fake_f)))
    else:
        assert model.loss_name == "wasserstein"
        adversarial = (tf.reduce_mean(fake_v) - tf.reduce_mean(real_v)
                       + tf.reduce_mean(fake_f) - tf.reduce_mean(real_f))
    # R1 = E ||grad_x D(x)||^2 at the real clips; lazy: every r1_every-th step, r1_every x
    r1 = tf.reduce_mean(tf.reduce_sum(tf.square(hand_input_gradients(model, videos, index)),
                                      axis=1))
    r1 = model.r1_every * r1 if r1_due else tf.zeros(())
    gp = tf.zeros(())
    if model.gp_weight:
        m = tf.reshape(tf.constant(mix), (-1, 1, 1, 1, 1))
        norms = tf.norm(hand_input_gradients(model, m * videos + (1 - m) * fake, index), axis=1)
        gp = tf.reduce_mean(tf.square(norms - 1))
    total = adversarial + 0.5 * model.r1_gamma * r1 + model.gp_weight * gp
    return total, {"r1": r1, "gp": gp, "real_logit": tf.reduce_mean(real_v),
                   "fake_logit": tf.reduce_mean(fake_v)}


@pytest.mark.parametrize("r1_every", [1, 3])
def test_default_step_by_hand_with_frame_discriminator_and_r1(r1_every):
    """The default GAN (frame discriminator on, R1 on) by value, with SGD: d_loss, r1 (= R1
    times r1_every on a due step) and the logits from the old networks; each discriminator
    weight moves by -lr * its gradient of d_loss (R1's double back-propagation included);
    g_loss from the updated discriminators on the old generator's clips, and each generator
    weight moves by -lr * its gradient of that."""
    import tensorflow as tf

    defaults = {k: v.default for k, v in inspect.signature(VideoGAN).parameters.items()}
    assert defaults["frame_discriminator"] is True and defaults["r1_gamma"] == 1.0
    assert defaults["r1_every"] == 1 and defaults["loss"] == "hinge"
    assert defaults["gp_weight"] == 0 and defaults["class_weight"] == 0
    model, videos, noise = sgd_step_setup(small_gan(r1_every=r1_every))
    lr = 0.1
    index = next_frame_index(model)
    x = tf.constant(videos)
    fake = model.generator(noise)
    critic_vars = (model.discriminator.trainable_variables
                   + model.frame_discriminator.trainable_variables)
    with tf.GradientTape() as tape:
        d_loss, parts = hand_d_loss(model, x, fake, index)     # step 0: R1 is due
    d_grads = tape.gradient(d_loss, critic_vars)
    with tf.GradientTape() as tape:                              # the same without R1
        no_r1, _ = hand_d_loss(model, x, fake, index, r1_due=False)
    no_r1_grads = tape.gradient(no_r1, critic_vars)
    d_before = [np.array(v) for v in critic_vars]
    g_before = [np.array(v) for v in model.generator.trainable_variables]

    logs = model.train_on_batch({"video": videos, "noise": noise}, return_dict=True)

    assert logs["d_loss"] == pytest.approx(float(d_loss), rel=1e-5)
    assert logs["r1"] == pytest.approx(float(parts["r1"]), rel=1e-4)
    assert float(parts["r1"]) > 1e-2                         # large enough to count
    for key in ("real_logit", "fake_logit"):
        assert logs[key] == pytest.approx(float(parts[key]), rel=1e-5, abs=1e-6), key
    assert logs["gp"] == 0
    # the discriminators' update: -lr * gradient, and R1 visibly part of it
    r1_share = max(float(np.max(np.abs(a - b))) for a, b in zip(d_grads, no_r1_grads))
    assert r1_share > 1e-3
    for before, variable, grad in zip(d_before, critic_vars, d_grads):
        np.testing.assert_allclose(before - np.array(variable), lr * np.asarray(grad),
                                   rtol=1e-3, atol=1e-3 * lr * r1_share, err_msg=variable.path)
    # g_loss: the updated discriminators on the old generator's clips (the same noise)
    video, frame = hand_critics(model, fake, index)
    expected_g = -float(tf.reduce_mean(video)) - float(tf.reduce_mean(frame))
    assert logs["g_loss"] == pytest.approx(expected_g, rel=1e-4)
    # the generator's update, by hand from its old weights and the updated discriminators
    g_after = [np.array(v) for v in model.generator.trainable_variables]
    model.generator.set_weights(g_before)
    with tf.GradientTape() as tape:
        video, frame = hand_critics(model, model.generator(noise), index)
        g_loss = -tf.reduce_mean(video) - tf.reduce_mean(frame)
    assert float(g_loss) == pytest.approx(expected_g, rel=1e-5)
    g_grads = tape.gradient(g_loss, model.generator.trainable_variables)
    scale = max(float(np.max(np.abs(g))) for g in g_grads)
    for before, after, grad in zip(g_before, g_after, g_grads):
        np.testing.assert_allclose(before - after, lr * np.asarray(grad), rtol=1e-3,
                                   atol=1e-4 * lr * scale)
    assert int(model.discriminator_optimizer.iterations) == 1


def test_penalties_by_hand_r1_and_gradient_penalty():
    """With the Wasserstein loss, R1 and WGAN-GP at given mixes: r1, gp and
    d_loss = wasserstein + gamma / 2 * R1 + gp_weight * GP, by hand."""
    import tensorflow as tf

    model, videos, noise = sgd_step_setup(small_gan(r1_gamma=10.0, gp_weight=10.0,
                                                    loss="wasserstein"))
    mix = RNG.uniform(size=4).astype("float32")
    index = next_frame_index(model)
    d_loss, parts = hand_d_loss(model, tf.constant(videos), model.generator(noise), index,
                                mix=mix)
    logs = model.train_on_batch({"video": videos, "noise": noise, "mix": mix},
                                return_dict=True)
    assert float(parts["r1"]) > 1e-2 and float(parts["gp"]) > 1e-2
    assert logs["r1"] == pytest.approx(float(parts["r1"]), rel=1e-4)
    assert logs["gp"] == pytest.approx(float(parts["gp"]), rel=1e-4)
    assert logs["d_loss"] == pytest.approx(float(d_loss), rel=1e-4, abs=1e-5)


def test_evaluate_scores_the_video_discriminator_on_real_and_generated_clips():
    """test_step by value: d_loss = hinge(D(x), D(G(z))), g_loss = -mean D(G(z)) with the
    video discriminator (the frame discriminator is not used), averaged over the batches;
    no weight changes."""
    model, videos, noise = sgd_step_setup(small_gan())
    real = np.asarray(model.discriminator(videos), np.float64)
    fake = np.asarray(model.discriminator(model.generator(noise)), np.float64)
    expected_d = np.maximum(0, 1 - real).mean() + np.maximum(0, 1 + fake).mean()
    weights = [np.array(w) for w in model.weights]
    logs = model.evaluate({"video": videos, "noise": noise}, batch_size=2, verbose=0,
                          return_dict=True)
    assert set(logs) == {"d_loss", "g_loss"}
    assert float(logs["d_loss"]) == pytest.approx(expected_d, rel=1e-5)
    assert float(logs["g_loss"]) == pytest.approx(-fake.mean(), rel=1e-5, abs=1e-6)
    for a, b in zip(weights, model.weights):
        np.testing.assert_array_equal(a, np.array(b))


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
    """generate(n, seed) is the generator on z ~ N(0, I) drawn with that seed."""
    model = small_gan()
    clips = np.asarray(model.generate(2, seed=3))
    np.testing.assert_array_equal(clips, model.generate(2, seed=3))
    z = keras.random.normal((2, 8), seed=3)
    np.testing.assert_allclose(clips, model.generator(z), atol=1e-6)
    assert not np.allclose(clips, model.generate(2, seed=4))       # the seed matters


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
    assert not np.allclose(model.generate(4, seed=1), model.generate(4, seed=2))
    one = np.asarray(model.generate(1, seed=1, labels=[[4]]))
    # given labels: the generator on the seed's noise and those labels
    z = np.asarray(keras.random.normal((1, 8), seed=1))
    np.testing.assert_allclose(one, model.generator([z, np.array([[4]], "int32")]), atol=1e-6)
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


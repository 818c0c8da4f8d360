"""MoCoGAN: the Keras contract, the split of content and motion, the GRU's motion codes by
hand, and the order and values of the three-part train step."""

import numpy as np
import pytest

import keras
from tests.harness import conv_params, dense_params, norm_params, run_model_test
from vidgen_tf.models import MoCoGAN

RNG = np.random.default_rng(0)
SHAPE = (4, 16, 16, 1)
CONTENT, MOTION = 6, 3


def small(**kwargs):
    options = dict(content_dim=CONTENT, motion_dim=MOTION, generator_width=32,
                   discriminator_width=8, noise_sigma=0.0)
    options.update(kwargs)
    return MoCoGAN(SHAPE, **options)


def codes(batch=2, frames=SHAPE[0]):
    return [RNG.normal(size=(batch, CONTENT)).astype("float32"),
            RNG.normal(size=(batch, MOTION)).astype("float32"),
            RNG.normal(size=(batch, frames, MOTION)).astype("float32")]


def small_params(num_classes=0):
    """Trainable parameters of ``small(num_classes=...)``, counted by hand (frames 16x16:
    two upsampling levels; widths 32, 16, 16)."""
    u = MOTION
    # GRU cell (reset_after): input kernel 3u x u, recurrent kernel 3u x u, two biases of 3u
    gru = dense_params(u, 3 * u, bias=False) + dense_params(u, 3 * u, bias=False) + 2 * 3 * u
    code = CONTENT + u + (CONTENT if num_classes else 0)     # [z_C, z_M(t), label embedding]
    up2d = lambda cin, cout: conv_params(9, cin, cout) + norm_params(cout)      # noqa: E731
    frames = (dense_params(code, 4 * 4 * 32) + up2d(32, 16) + up2d(16, 16)
              + conv_params(9, 16, 1))
    embedding = (num_classes + 1) * CONTENT if num_classes else 0     # row 0: "no label"
    # image critic: 4x4 stride-2 convs 1 -> 8 -> 16, 4x4x16 features -> 1 logit
    image = conv_params(16, 1, 8) + conv_params(16, 8, 16) + dense_params(4 * 4 * 16, 1)
    # video critic: fold (2,2,2) 1 -> 8, 2x2x2 conv to 8; fold (1,2,2) 8 -> 32, conv to 16
    video = conv_params(8, 8, 8) + conv_params(8, 32, 16) + dense_params(2 * 4 * 4 * 16, 1)
    # the video critic's auxiliary head: 3x3 convs 1 -> 8 -> 16 -> 32 per frame, classes
    head = (conv_params(9, 1, 8) + conv_params(9, 8, 16) + conv_params(9, 16, 32)
            + dense_params(32, num_classes)) if num_classes else 0
    return gru + frames + embedding + image + video + head


def test_mocogan_contract(tmp_path):
    # the conditional model (its layers are the unconditional one's and more); the
    # unconditional model's call and step are checked below
    inputs = codes() + [np.array([[3], [7]], "int32")]
    model = small(num_classes=10)
    run_model_test(model, inputs, {"output": (2,) + SHAPE}, tmp_path=tmp_path, fit=False,
                   trainable_params=small_params(10))
    clips = np.asarray(model(inputs))
    assert clips.min() >= -1 and clips.max() <= 1
    assert not np.allclose(clips[0], clips[1])
    assert small_params(0) == sum(int(np.prod(w.shape)) for w in small().trainable_weights)


def test_motion_codes_are_a_gru_unrolled_by_hand():
    """``z_M(t) = h_t = GRU(h_{t-1}, eps_t)`` from ``h_0``, Keras' gate order (z, r, h) with
    the reset gate applied after the recurrent product (``reset_after``), with the update
    gate's input bias started at 2 (the recipe's)."""
    model = small(update_gate_bias=2.0)
    _, h0, eps = codes(batch=3, frames=5)
    kernel, recurrent, bias = (np.asarray(w, np.float64) for w in
                               model.motion_network.get_layer("gru").cell.weights)
    expected_bias = np.zeros((2, 3 * MOTION))
    expected_bias[0, :MOTION] = 2.0
    np.testing.assert_array_equal(bias, expected_bias)
    assert MoCoGAN.from_config(model.get_config()).update_gate_bias == 2.0
    sigmoid = lambda a: 1 / (1 + np.exp(-a))        # noqa: E731
    h, expected = h0.astype(np.float64), []
    for t in range(eps.shape[1]):
        x = eps[:, t] @ kernel + bias[0]
        r_in = h @ recurrent + bias[1]
        z = sigmoid(x[:, :MOTION] + r_in[:, :MOTION])
        r = sigmoid(x[:, MOTION:2 * MOTION] + r_in[:, MOTION:2 * MOTION])
        candidate = np.tanh(x[:, 2 * MOTION:] + r * r_in[:, 2 * MOTION:])
        h = z * h + (1 - z) * candidate
        expected.append(h)
    # float32 products of a few numbers each: agreement to 1e-5
    np.testing.assert_allclose(np.asarray(model.motion_codes(h0, eps)),
                               np.stack(expected, axis=1), atol=1e-5)
    # a cell in a loop, not the cuDNN-eligible GRU layer that turns XLA off for the whole
    # model (keras-team/keras#18456); the XLA-compiled step is tests/training/test_precision
    kinds = {type(layer).__name__ for layer in model.motion_network.layers}
    assert "GRU" not in kinds and "RNN" in kinds


def test_content_is_shared_by_all_frames_and_motion_is_per_frame():
    model = small()
    content, _, _ = codes(batch=2)
    still = np.repeat(RNG.normal(size=(1, 1, MOTION)), SHAPE[0], axis=1).astype("float32")
    clip = np.asarray(model.decode(content[:1], still))[0]
    # the same motion code in every frame: the same picture (the frame generator has no
    # notion of time beyond z_M(t))
    for t in range(1, SHAPE[0]):
        np.testing.assert_allclose(clip[t], clip[0], atol=1e-6)
    # one frame's motion code changed: that frame changes, no other
    moved = still.copy()
    moved[0, 2] += 1.0
    other = np.asarray(model.decode(content[:1], moved))[0]
    changed = [not np.allclose(other[t], clip[t], atol=1e-6) for t in range(SHAPE[0])]
    assert changed == [t == 2 for t in range(SHAPE[0])]
    # another content: every frame changes
    third = np.asarray(model.decode(content[1:], still))[0]
    assert all(not np.allclose(third[t], clip[t], atol=1e-4) for t in range(SHAPE[0]))


def test_sprite_generator_moves_one_drawing_with_velocities_read_from_the_motion_codes():
    model = small(num_classes=10, frame_generator="sprite")
    content, h0, eps = codes(batch=3)
    labels = np.array([[1], [4], [8]], "int32")
    g = model.frame_generator
    parts = keras.Model(g.inputs, [g.get_layer("to_sprite").output,
                                   g.get_layer("positions").output])
    motion = np.asarray(model.motion_codes(h0, eps))
    sprites, positions = (np.asarray(a) for a in parts([content, motion, labels]))
    clips = np.asarray(model([content, h0, eps, labels]))
    size = SHAPE[1] // 2
    assert sprites.shape == (3, size, size, 1) and positions.shape == (3, SHAPE[0], 1, 2)
    # every frame: the clip's one sprite at its rounded position, black elsewhere
    for clip, sprite, path in zip(clips, sprites, positions):
        for frame, place in zip(clip, path[:, 0]):
            assert 0 <= place.min() and place.max() <= SHAPE[1] - size
            top, left = np.round(place).astype(int)
            expected = -np.ones(SHAPE[1:], np.float32)
            expected[top:top + size, left:left + size] = sprite
            np.testing.assert_allclose(frame, expected, atol=1e-5)
    # the position of frame t integrates the velocities of frames before it: a motion code
    # changed at frame 2 moves frames 3 on, never frames 0-2; the drawing stays
    moved = motion.copy()
    moved[:, 2] += 1.0
    sprites2, positions2 = (np.asarray(a) for a in parts([content, moved, labels]))
    np.testing.assert_allclose(sprites2, sprites, atol=1e-6)
    np.testing.assert_allclose(positions2[:, :3], positions[:, :3], atol=1e-5)
    assert not np.allclose(positions2[:, 3:], positions[:, 3:], atol=1e-4)
    # the config names the generator: a model built from it draws the same clips
    assert model.get_config()["frame_generator"] == "sprite"
    again = MoCoGAN.from_config(model.get_config())
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(again([content, h0, eps, labels])), clips, atol=1e-6)
    # longer clips: the same path continued
    long = np.asarray(model([content, h0, np.concatenate([eps, eps], axis=1), labels]))
    np.testing.assert_allclose(long[:, :SHAPE[0]], clips, atol=1e-6)
    with pytest.raises(ValueError, match="frame_generator must be one of"):
        small(frame_generator="frames")


def test_fresh_noise_per_step_moves_and_longer_clips_continue_the_same_motion():
    model = small()
    content, h0, eps = codes(batch=1, frames=8)
    z8 = np.asarray(model.motion_codes(h0, eps))
    other = eps.copy()
    other[:, 3:] = RNG.normal(size=(1, 5, MOTION))
    z8b = np.asarray(model.motion_codes(h0, other))
    # the first three steps had the same inputs; from step 4 on the motion differs
    np.testing.assert_allclose(z8b[:, :3], z8[:, :3], atol=1e-6)
    assert all(not np.allclose(z8b[:, t], z8[:, t]) for t in range(3, 8))
    # 8 frames from a model trained on 4: the first 4 are the 4-frame clip of the same codes
    long = np.asarray(model([content, h0, eps]))
    short = np.asarray(model([content, h0, eps[:, :4]]))
    assert long.shape == (1, 8) + SHAPE[1:]
    np.testing.assert_allclose(long[:, :4], short, atol=1e-6)
    assert model.generate(2, seed=0, num_frames=32).shape == (2, 32) + SHAPE[1:]


def test_codes_and_generation_are_repeatable_with_a_seed():
    model = small(num_classes=10)
    a, b = model.sample_codes(3, seed=5), model.sample_codes(3, seed=5)
    assert all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)
    assert set(a) == {"content", "h0", "eps", "labels"}
    np.testing.assert_array_equal(np.asarray(model.sample_codes(2, labels=[4, 9])["labels"]),
                                  [[4], [9]])
    np.testing.assert_array_equal(np.asarray(model.generate(2, seed=1, labels=[1, 2])),
                                  np.asarray(model.generate(2, seed=1, labels=[1, 2])))


def test_shared_codes_repeat_one_kind_of_code_within_each_group_and_not_the_other():
    model = small(num_classes=10)
    same_content = model.sample_shared_codes(3, 4, "content", seed=2, labels=[5, 0, 9])
    same_motion = model.sample_shared_codes(3, 4, "motion", seed=2)
    as_groups = lambda codes, key: np.asarray(codes[key]).reshape((3, 4, -1))  # noqa: E731
    for codes, shared, free in ((same_content, ("content", "labels"), ("h0", "eps")),
                                (same_motion, ("h0", "eps"), ("content",))):
        for key in shared:          # every clip of a group holds its group's first code
            g = as_groups(codes, key)
            np.testing.assert_array_equal(g, np.repeat(g[:, :1], 4, axis=1))
        for key in free:            # no two clips of a group hold the same code
            g = as_groups(codes, key)
            assert all(not np.allclose(g[i, a], g[i, b]) for i in range(3)
                       for a in range(4) for b in range(a + 1, 4))
        assert not np.allclose(as_groups(codes, shared[0])[0, 0],
                               as_groups(codes, shared[0])[1, 0])     # groups differ
    np.testing.assert_array_equal(as_groups(same_content, "labels")[:, :, 0],
                                  [[5] * 4, [0] * 4, [9] * 4])
    # the same seed draws the same codes: only the repetition differs
    plain = model.sample_codes(12, seed=2, labels=np.repeat([5, 0, 9], 4))
    np.testing.assert_array_equal(np.asarray(same_content["eps"]), np.asarray(plain["eps"]))
    # longer clips: the shared motion is shared over all their frames
    long = model.sample_shared_codes(2, 2, "motion", num_frames=9, seed=0)
    assert np.asarray(long["eps"]).shape == (4, 9, MOTION)
    with pytest.raises(ValueError, match="share must be 'content' or 'motion'"):
        model.sample_shared_codes(2, 2, "labels")
    with pytest.raises(ValueError, match="labels"):
        model.sample_shared_codes(2, 2, "content", labels=[1, 2, 3])


def _softplus(x):
    return np.logaddexp(0, np.asarray(x, np.float64))


def _critics(model, clips, index, labels=None):
    """The critics' logits by hand; with ``projection`` each frame judged with its clip's
    label (clip-major order: the k frames of clip 0, then of clip 1...)."""
    import tensorflow as tf

    h, w, c = model.video_shape[1:]
    frames = np.asarray(tf.reshape(tf.gather(clips, index, axis=1), (-1, h, w, c)))
    if not model.projection:
        return (np.asarray(model.image_discriminator(frames), np.float64),
                np.asarray(model.video_discriminator(clips), np.float64))
    frame_labels = np.repeat(labels, len(index), axis=0)
    return (np.asarray(model.image_discriminator([frames, frame_labels]), np.float64),
            np.asarray(model.video_discriminator([clips, labels]), np.float64))


def _cross_entropy(logits, labels):
    logits = np.asarray(logits, np.float64)
    log_p = logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1,
                                                                           keepdims=True)) \
        - logits.max(1, keepdims=True)
    return float(-np.mean(log_p[np.arange(len(labels)), labels]))


def _next_index(model):
    """The frame indices of the model's next step: the first draw from its seed generator
    (the batch brings its codes), repeated from a copy of the generator's state."""
    copy = keras.random.SeedGenerator(0)
    copy.state.assign(np.asarray(model.seed_generator.state))
    return np.asarray(keras.random.randint((model.frames_per_clip,), 0, model.video_shape[0],
                                           seed=copy))


@pytest.mark.parametrize("num_classes, projection, class_weight, r1_gamma",
                         [(0, False, 1.0, 0.0), (10, False, 1.0, 0.0), (10, True, 3.0, 0.5)])
def test_one_step_updates_the_image_critic_then_the_video_critic_then_the_generator(
        num_classes, projection, class_weight, r1_gamma):
    """Each critic's loss is computed with the generator's clips before the step; the
    generator's loss with both critics already updated (the paper's order: D_I, D_V, G).
    With R1 every 2nd step, the first step is due: each critic's penalty twice as large."""
    model = small(num_classes=num_classes, projection=projection, class_weight=class_weight,
                  r1_gamma=r1_gamma, r1_every=2)
    sgd = lambda: keras.optimizers.SGD(0.1)          # noqa: E731
    model.compile(generator_optimizer=sgd(), image_discriminator_optimizer=sgd(),
                  video_discriminator_optimizer=sgd())
    videos = RNG.uniform(-1, 1, (4,) + SHAPE).astype("float32")
    content, h0, eps = codes(batch=4)
    labels = np.array([[1], [5], [5], [9]], "int32")
    batch = {"video": videos, "noise": np.concatenate([content, h0, eps.reshape(4, -1)], 1)}
    call = [content, h0, eps]
    if num_classes:
        batch["digits"] = labels
        call.append(labels)
    fake = np.asarray(model(call))
    index = _next_index(model)
    real_i, real_v = _critics(model, videos, index, labels)
    fake_i, fake_v = _critics(model, fake, index, labels)
    expected_class = (_cross_entropy(model.clip_classifier(videos[:, index]), labels[:, 0])
                      if num_classes else None)
    r1_image = r1_video = 0.0
    if r1_gamma:
        from vidgen_tf.losses import r1_penalty

        import tensorflow as tf

        h, w, c = SHAPE[1:]
        frame_labels = tf.constant(np.repeat(labels, len(index), axis=0))
        image_critic = lambda x: model.image_discriminator(                # noqa: E731
            [tf.reshape(tf.gather(x, index, axis=1), (-1, h, w, c)), frame_labels])
        r1_image = 2 * float(r1_penalty(image_critic, videos))
        r1_video = 2 * float(r1_penalty(
            lambda x: model.video_discriminator([x, tf.constant(labels)]), videos))
    networks = (model.image_discriminator, model.video_discriminator, model.frame_generator,
                model.motion_network)
    before = [[np.array(w) for w in n.trainable_weights] for n in networks]

    logs = model.train_on_batch(batch, return_dict=True)

    assert logs["d_image_loss"] == pytest.approx(
        np.mean(_softplus(-real_i)) + np.mean(_softplus(fake_i)) + 0.5 * r1_gamma * r1_image,
        rel=1e-5)
    d_video = (np.mean(_softplus(-real_v)) + np.mean(_softplus(fake_v))
               + 0.5 * r1_gamma * r1_video)
    if r1_gamma:
        assert logs["r1"] == pytest.approx(r1_image + r1_video, rel=1e-5)
    if num_classes:
        assert logs["class_loss"] == pytest.approx(expected_class, rel=1e-5)
        d_video += class_weight * expected_class
    assert logs["d_video_loss"] == pytest.approx(d_video, rel=1e-5)
    # the generator's loss: the updated critics on the clips of the generator before its step
    new_i, new_v = _critics(model, fake, index, labels)
    g_loss = np.mean(_softplus(-new_i)) + np.mean(_softplus(-new_v))
    if num_classes:
        fake_class = _cross_entropy(model.clip_classifier(fake[:, index]), labels[:, 0])
        assert logs["fake_class_loss"] == pytest.approx(fake_class, rel=1e-4)
        g_loss += class_weight * fake_class
    assert logs["g_loss"] == pytest.approx(g_loss, rel=1e-4)
    for network, old in zip(networks, before):
        assert any(not np.allclose(a, np.array(b)) for a, b in
                   zip(old, network.trainable_weights)), network.name
    for optimizer in (model.generator_optimizer, model.image_discriminator_optimizer,
                      model.video_discriminator_optimizer):
        assert int(optimizer.iterations) == 1


def test_instance_noise_has_the_given_spread_and_none_at_zero():
    x = keras.ops.zeros((100, 10, 10, 1))
    noisy = np.asarray(small(noise_sigma=0.1)._noisy(x))
    # 10,000 draws: the sample standard deviation is within 0.1 * (1 +- 0.03) (its
    # standard error is 0.1 / sqrt(2 * 10,000) = 0.0007)
    assert noisy.std() == pytest.approx(0.1, rel=0.03)
    np.testing.assert_array_equal(np.asarray(small(noise_sigma=0.0)._noisy(x)), 0.0)
    # annealed: 0.1 at step 0, half at step 5 of 10, none from step 10 on
    model = small(noise_sigma=0.1, noise_anneal_steps=10)
    model.compile()
    assert [float(model.noise_level(s)) for s in (0, 5, 10, 25)] == pytest.approx(
        [0.1, 0.05, 0.0, 0.0])
    model.generator_optimizer.iterations.assign(5)
    assert np.asarray(model._noisy(x)).std() == pytest.approx(0.05, rel=0.03)
    model.generator_optimizer.iterations.assign(10)
    np.testing.assert_array_equal(np.asarray(model._noisy(x)), 0.0)
    with pytest.raises(ValueError, match="noise_anneal_steps must be an integer >= 0"):
        small(noise_anneal_steps=-1)


def test_bad_arguments_and_batches_are_named():
    with pytest.raises(ValueError, match="loss must be one of"):
        small(loss="l2")
    with pytest.raises(ValueError, match="num_classes must be 0"):
        small(num_classes=-1)
    with pytest.raises(ValueError, match="motion_dim must be a positive integer"):
        small(motion_dim=0)
    with pytest.raises(ValueError, match="noise_sigma must be >= 0"):
        small(noise_sigma=-0.1)
    with pytest.raises(ValueError, match="r1_every must be a positive integer, got 0"):
        small(r1_every=0)
    with pytest.raises(ValueError, match=r"projection=True needs labels \(num_classes > 0\)"):
        small(projection=True)
    model = small(num_classes=10)
    with pytest.raises(ValueError, match=r"takes \[content, h0, eps, labels\], got 3"):
        model(codes())
    with pytest.raises(ValueError, match="labels must have shape"):
        model.sample_codes(2, labels=np.zeros((2, 2)))
    model.compile()
    with pytest.raises(ValueError, match="labels under 'digits'"):
        model.train_on_batch({"video": RNG.uniform(-1, 1, (2,) + SHAPE).astype("float32")})
    with pytest.raises(ValueError, match="labels given to an unconditional model"):
        small().sample_codes(2, labels=[1, 2])


def test_the_image_critic_batch_holds_each_clips_frames_in_order_with_their_labels():
    from vidgen_tf.models.mocogan import image_critic_batch

    videos = np.arange(3 * 5 * 2 * 2, dtype="float32").reshape(3, 5, 2, 2, 1)
    index = np.array([4, 0, 4], "int32")                     # a frame may be judged twice
    labels = np.array([[7], [1], [3]], "int32")
    frames, frame_labels = (np.asarray(x) for x in image_critic_batch(videos, index, labels))
    expected = np.stack([videos[b, t] for b in range(3) for t in (4, 0, 4)])
    np.testing.assert_array_equal(frames, expected)          # a gather: exact
    np.testing.assert_array_equal(frame_labels[:, 0], [7, 7, 7, 1, 1, 1, 3, 3, 3])
    frames_only, none = image_critic_batch(videos, index)
    assert none is None and frames_only.shape == (9, 2, 2, 1)

"""The predictors: the Keras contract, causality (a rollout fed the truth never sees a frame
before it predicts it; evaluation never reads the future; a planted keras-io style leak is
caught), scheduled sampling, the loss by hand, and errors."""

import numpy as np
import pytest

import keras
from tests.harness import conv_params, norm_params, run_model_test
from vidgen_tf.models import ConvLSTMPredictor, SimVPPredictor

RNG = np.random.default_rng(0)
FRAME = (16, 16, 1)
C, F = 3, 3


def convlstm(**kwargs):
    options = dict(filters=(4, 6), patch=4, sampling_steps=10)
    options.update(kwargs)
    return ConvLSTMPredictor(FRAME, C, F, **options)


def simvp(**kwargs):
    options = dict(skip_width=4, hidden=4, translator_width=8, translator_blocks=1)
    options.update(kwargs)
    return SimVPPredictor(FRAME, C, F, **options)


def clips(batch=2):
    return RNG.uniform(-1, 1, (batch, C + F) + FRAME).astype("float32")


def convlstm_params():
    # fused cells: one 3x3 convolution over [x, h] to 4 gates each; a 1x1 head to patches
    return (conv_params((3, 3), 16 + 4, 16) + conv_params((3, 3), 4 + 6, 24)
            + conv_params((1, 1), 6, 16))


def simvp_params(skip=4, hidden=4, width=8, blocks=1):
    block = lambda k, cin, cout: conv_params((k, k), cin, cout) + norm_params(cout)  # noqa: E731
    encoder = block(3, 4, skip) + block(1, 4 * skip, hidden) + block(3, hidden, hidden)
    translator = (conv_params((1, 1), C * hidden, width) + blocks * 2 * block(3, width, width)
                  + conv_params((1, 1), width, F * hidden))
    decoder = (block(3, hidden, hidden) + conv_params((1, 1), hidden, 4 * skip)
               + block(3, skip, skip) + conv_params((1, 1), skip, 4))
    return encoder + translator + decoder


@pytest.mark.parametrize("make, params", [(convlstm, convlstm_params),
                                          (simvp, simvp_params)])
def test_harness(make, params, tmp_path):
    model = make()
    context = clips()[:, :C]
    # the fit step needs whole clips (tested below): the harness checks the rest
    run_model_test(model, context, {"output": (2, F) + FRAME}, trainable_params=params(),
                   tmp_path=tmp_path, fit=False)


@pytest.mark.parametrize("make", [convlstm, simvp])
def test_one_fit_step_lowers_nothing_but_runs_and_logs_the_loss_by_hand(make):
    model = make(l1_weight=0.5)
    model.compile(optimizer=keras.optimizers.SGD(0.0))      # weights unchanged: compare
    video = clips(4)
    free = np.asarray(model(video[:, :C]))
    logs = model.train_on_batch({"video": video, "coins": np.ones((4, F - 1), "float32")},
                                return_dict=True)
    future = video[:, C:].astype(np.float64)
    mse, l1 = np.mean((free - future) ** 2), np.mean(np.abs(free - future))
    # coins of 1 never feed the truth: the step's prediction is the free-running one
    assert logs["mse"] == pytest.approx(mse, rel=1e-5)
    assert logs["l1"] == pytest.approx(l1, rel=1e-5)
    assert logs["loss"] == pytest.approx(mse + 0.5 * l1, rel=1e-5)


def test_a_saturating_loss_sees_predictions_clipped_with_a_small_slope_outside():
    model = simvp(l1_weight=0.0, saturate=True)
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    video = clips(4)
    # the untrained decoder's outputs are small: scale the last layer so some pass +-1
    layer = model.decoder.get_layer("dec_out")
    layer.set_weights([w * 40 for w in layer.get_weights()])
    raw = np.asarray(model(video[:, :C]), np.float64)
    assert np.mean(np.abs(raw) > 1) > 0.05
    seen = np.clip(raw, -1, 1) + 0.01 * (raw - np.clip(raw, -1, 1))
    logs = model.train_on_batch(video, return_dict=True)
    assert logs["mse"] == pytest.approx(np.mean((seen - video[:, C:]) ** 2), rel=1e-5)


def rollout(model, video, coins):
    return np.asarray(model({"video": video, "coins": coins}, training=True))


def assert_causal_rollout(model, video):
    """Fed the truth at every step (coins 0 < eta = 1), perturbing frame j changes no
    prediction of a frame at or before j, and changes a later one."""
    coins = np.zeros((len(video), F - 1), "float32")
    base = rollout(model, video, coins)
    for j in range(C + F):
        poked = video.copy()
        poked[:, j] += 0.5
        out = rollout(model, poked, coins)
        for k in range(F):                             # output k predicts frame C + k
            if C + k <= j:
                np.testing.assert_array_equal(out[:, k], base[:, k],
                                              err_msg=f"frame {j} changed prediction {k}")
        if j < C + F - 1:
            assert not np.allclose(out, base), f"frame {j} was never read"


def test_the_convlstm_rollout_is_causal_and_a_planted_leak_is_caught():
    model = convlstm()
    model.compile(optimizer="sgd")                     # step 0: eta = 1
    assert float(model.sampling_rate()) == 1.0
    assert_causal_rollout(model, clips())

    class KerasIoLeak(ConvLSTMPredictor):
        """keras-io's conv_lstm example ends with a Conv3D with "same" padding over time:
        output k then sees the step inputs k - 1, k and k + 1, and step k + 1's input is
        output k's own target (keras-io issue 1003). Here the same mix, weightless: each
        output plus a share of the next step's input."""

        def predict_frames(self, context, teacher=None, coins=None, training=False):
            out = super().predict_frames(context, teacher, coins, training)
            fed = out[:, :-1] if teacher is None else teacher
            inputs = keras.ops.concatenate([context[:, -1:], fed], axis=1)  # steps' inputs
            following = keras.ops.concatenate([inputs[:, 1:], keras.ops.zeros_like(
                inputs[:, :1])], axis=1)                                  # zero padded
            return out + 0.3 * following

    leaky = KerasIoLeak(FRAME, C, F, filters=(4, 6), patch=4, sampling_steps=10)
    leaky.compile(optimizer="sgd")
    with pytest.raises(AssertionError, match="changed prediction"):
        assert_causal_rollout(leaky, clips())


@pytest.mark.parametrize("make", [convlstm, simvp])
def test_outside_training_the_future_frames_are_never_read(make):
    model = make()
    model.compile(optimizer="sgd")
    video = clips()
    poisoned = video.copy()
    poisoned[:, C:] = np.nan
    expected = np.asarray(model.forecast(video[:, :C]))
    for path in (model.forecast, model, lambda v: model.predict(v, verbose=0)):
        out = np.clip(np.asarray(path(poisoned)), -1, 1)
        assert np.all(np.isfinite(out))                   # a NaN read anywhere would spread
        # the same path gives the same numbers with the future frames poisoned or not
        np.testing.assert_array_equal(out, np.clip(np.asarray(path(video)), -1, 1))
        # across paths (eager, a traced function, predict's batches) oneDNN may pick other
        # kernels for the same float32 sums (seen on AVX-512: 1e-6 apart): float32 rounding
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert expected.min() >= -1 and expected.max() <= 1            # forecast clips
    if make is simvp:                       # no rollout: training reads the context only
        np.testing.assert_array_equal(np.clip(model(poisoned, training=True), -1, 1),
                                      np.clip(model(video, training=True), -1, 1))


def test_scheduled_sampling_goes_from_teacher_forcing_to_free_running():
    model = convlstm(sampling_steps=10)
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    video = clips()
    free = np.asarray(model(video[:, :C]))
    zeros = np.zeros((2, F - 1), "float32")
    teacher = rollout(model, video, zeros)
    np.testing.assert_array_equal(teacher[:, 0], free[:, 0])   # the first step: no feedback
    assert not np.allclose(teacher[:, 1:], free[:, 1:])        # the truth fed instead
    half = np.full((2, F - 1), 0.5, "float32")
    for step, expect_truth in ((0, True), (4, True), (6, False), (10, False), (50, False)):
        model.optimizer.iterations.assign(step)
        assert float(model.sampling_rate()) == pytest.approx(max(0.0, 1 - step / 10))
        out = rollout(model, video, half)                       # fed the truth if 0.5 < eta
        np.testing.assert_array_equal(out, teacher if expect_truth else free)
    assert float(convlstm(sampling_steps=0).sampling_rate()) == 0.0


def test_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="cannot be cut into 3x3 patches"):
        ConvLSTMPredictor(FRAME, C, F, patch=3)
    with pytest.raises(ValueError, match="future_frames must equal context_frames"):
        SimVPPredictor(FRAME, 3, 2)
    with pytest.raises(ValueError, match=r"frame_shape must be \(height, width, channels\)"):
        SimVPPredictor((16, 16), 3, 3)
    model = convlstm()
    with pytest.raises(ValueError, match=r"expected clips \(batch, >= 3, 16, 16, 1\)"):
        model(np.zeros((2, 2) + FRAME, "float32"))
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="training clips must have 3 \\+ 3 frames"):
        model.train_on_batch(np.zeros((2, 5) + FRAME, "float32"))

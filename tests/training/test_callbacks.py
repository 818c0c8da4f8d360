"""Checkpoints, stopping on NaN, weight averaging, sample grids and time budgets."""

import os

import numpy as np
import pytest

import keras
from tests.training import tiny_models
from vidgen_tf.training import (Checkpointer, SampleMonitor, StopOnNonFinite, TimeBudget,
                                WeightsEMA, list_checkpoints, restore_latest, save_checkpoint)


def _model():
    keras.utils.set_random_seed(0)
    # eager steps: these tests check what the callbacks do between steps, which runs the same
    # around a compiled step (the recipes' runs in test_rerun and test_cli cover that path)
    return tiny_models.compile_for_test(tiny_models.build("video_vae"), optimizer="adam",
                                        run_eagerly=True)


def _videos(n=4, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 8, 16, 16, 1)).astype("float32")


def test_checkpoint_round_trip_restores_weights_optimizer_and_noise(tmp_path):
    model = _model()
    model.fit(_videos(), epochs=2, batch_size=2, verbose=0)
    save_checkpoint(model, str(tmp_path), epoch=2)
    expected_noise = np.asarray(model(_videos(2), training=True)["reconstruction"])

    other = _model()
    other.optimizer.build(other.trainable_variables)
    state = restore_latest(other, str(tmp_path))
    assert state == {"epoch": 2, "step": 4}
    assert int(other.optimizer.iterations) == 4
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    # the seed generator continues where the saved one was: the same noise is drawn next
    np.testing.assert_allclose(other(_videos(2), training=True)["reconstruction"],
                               expected_noise, atol=1e-6)


def test_only_the_newest_checkpoints_are_kept_and_a_damaged_one_is_skipped(tmp_path):
    model = _model()
    model.optimizer.build(model.trainable_variables)
    for epoch in (1, 2, 3):
        save_checkpoint(model, str(tmp_path), epoch=epoch, keep=2)
    assert [e for e, _ in list_checkpoints(str(tmp_path))] == [2, 3]
    # a half-written checkpoint (killed before the rename) is ignored...
    os.makedirs(tmp_path / ".tmp-ckpt-000004-1")
    # ...and a damaged one falls back to the previous checkpoint with a warning
    with open(tmp_path / "ckpt-000003" / "model.weights.h5", "wb") as f:
        f.write(b"not hdf5")
    with pytest.warns(UserWarning, match="ckpt-000003"):
        assert restore_latest(model, str(tmp_path))["epoch"] == 2
    assert restore_latest(model, str(tmp_path / "empty")) is None


def test_training_stops_at_nan_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    model = _model()
    good, bad = _videos(8), _videos(8)
    bad[4:] = np.nan
    callbacks = [StopOnNonFinite(str(tmp_path)), Checkpointer(str(tmp_path))]
    model.fit(np.concatenate([good[:4], bad[4:]]), epochs=1, batch_size=2, verbose=0,
              shuffle=False,
              callbacks=callbacks[:1])
    assert callbacks[0].stopped["batch"] == 3
    # a run whose epochs 1-3 are good and epoch 4 meets NaN: the checkpoint of 3 stays last
    model = _model()
    import tensorflow as tf

    stream = tf.data.Dataset.from_tensor_slices(np.concatenate([good, bad])).batch(2)
    model.fit(stream, epochs=4, steps_per_epoch=2, verbose=0,
              callbacks=[StopOnNonFinite(str(tmp_path / "run")),
                         Checkpointer(str(tmp_path / "run"))])
    assert [e for e, _ in list_checkpoints(str(tmp_path / "run"))] == [2, 3]
    message = capsys.readouterr().out
    assert "Training stopped" in message and "epoch 4, batch 1" in message
    assert "ckpt-000003 (epoch 3)" in message
    restored = _model()
    restored.optimizer.build(restored.trainable_variables)
    restore_latest(restored, str(tmp_path / "run"))
    assert all(np.all(np.isfinite(w)) for w in restored.get_weights())


def test_weights_ema_follows_its_definition_and_swaps_back(tmp_path):
    model = _model()
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: seen.append([np.array(w) for w in
                                                        model.trainable_weights]))
    start = [np.array(w) for w in model.trainable_weights]
    ema = WeightsEMA(decay=0.5)
    model.fit(_videos(6), epochs=1, batch_size=2, verbose=0, callbacks=[record, ema])
    expected = start
    for n, weights in enumerate(seen):
        d = min(0.5, (1 + n) / (10 + n))               # warm-up: 0.1, 0.18, 0.25
        expected = [d * e + (1 - d) * w for e, w in zip(expected, weights)]
    current = [np.array(w) for w in model.trainable_weights]
    with ema.applied():
        for w, e in zip(model.trainable_weights, expected):
            np.testing.assert_allclose(w, e, rtol=1e-5, atol=1e-6)
    for w, c in zip(model.trainable_weights, current):
        np.testing.assert_array_equal(w, c)
    # its state goes into checkpoints
    save_checkpoint(model, str(tmp_path), 1, extra={"ema": ema})
    other = WeightsEMA(decay=0.5)
    restore_latest(model, str(tmp_path), extra={"ema": other})
    other.set_model(model)
    with other.applied():
        for w, e in zip(model.trainable_weights, expected):
            np.testing.assert_allclose(w, e, rtol=1e-5, atol=1e-6)
    assert other.get_state()["updates"] == 3
    with pytest.raises(ValueError, match="decay"):
        WeightsEMA(decay=1.0)


def test_weights_ema_without_warmup_uses_the_decay_from_the_first_step():
    model = _model()
    start = [np.array(w) for w in model.trainable_weights]
    ema = WeightsEMA(decay=0.75, warmup=False)
    model.fit(_videos(2), epochs=1, batch_size=2, verbose=0, callbacks=[ema])
    after = [np.array(w) for w in model.trainable_weights]
    with ema.applied():
        for w, s0, w1 in zip(model.trainable_weights, start, after):
            np.testing.assert_allclose(w, 0.75 * s0 + 0.25 * w1, rtol=1e-5, atol=1e-6)


def test_weights_ema_of_several_sub_models_averages_theirs_and_leaves_the_rest():
    class Three(keras.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.c = (keras.layers.Dense(n) for n in (2, 3, 1))

        def call(self, x):
            return self.c(self.b(self.a(x)))

    model = Three()
    model(np.zeros((1, 4), "float32"))
    start = [np.array(w) for w in model.trainable_weights]
    ema = WeightsEMA(decay=0.5, attribute=("a", "b"), warmup=False)
    ema.set_model(model)
    ema.on_train_begin()
    for w in model.trainable_weights:                     # one "step": every weight + 1
        w.assign(w + 1.0)
    ema.on_train_batch_end(0)
    averaged = {id(w) for layer in (model.a, model.b) for w in layer.trainable_weights}
    with ema.applied():
        for w, w0 in zip(model.trainable_weights, start):
            # 0.5 * w0 + 0.5 * (w0 + 1) for a's and b's weights; c's as trained
            np.testing.assert_allclose(w, w0 + (0.5 if id(w) in averaged else 1.0), atol=1e-6)
    assert len(ema.get_state()) == 1 + len(averaged)       # the counter and 4 averages


def test_sample_monitor_writes_one_gif_per_epoch_and_time_budget_stops(tmp_path):
    from PIL import Image

    model = _model()
    monitor = SampleMonitor(lambda m: np.asarray(m.generate(4, seed=0)), str(tmp_path),
                            every=2, columns=2)
    budget = TimeBudget(0.0)
    model.fit(_videos(8), epochs=4, batch_size=2, verbose=0, callbacks=[monitor])
    assert [os.path.basename(p) for p in monitor.paths] == ["samples_epoch_0002.gif",
                                                            "samples_epoch_0004.gif"]
    with Image.open(monitor.paths[0]) as gif:
        assert gif.n_frames == 8 and gif.size == (2 * 16 + 1, 2 * 16 + 1)
    history = model.fit(_videos(8), epochs=5, batch_size=2, verbose=0, callbacks=[budget])
    assert budget.stopped_at == 1 and len(history.history["loss"]) == 1


def test_time_budget_stops_before_an_epoch_that_would_not_fit(monkeypatch):
    """Epochs of 10 s (a fake clock): a 35 s budget runs 3 (30 s; a 4th would end at 40 s);
    a 40 s budget runs 4; a budget shorter than one epoch still runs one."""
    import vidgen_tf.training.callbacks as callbacks

    for seconds, epochs in ((35.0, 3), (40.0, 4), (5.0, 1)):
        clock = [0.0]
        monkeypatch.setattr(callbacks.time, "perf_counter", lambda: clock[0])
        budget = TimeBudget(seconds)
        budget.set_model(keras.Sequential())
        budget.model.stop_training = False
        budget.on_train_begin()
        ran = 0
        while not budget.model.stop_training and ran < 20:
            budget.on_epoch_begin(ran)
            clock[0] += 10.0
            budget.on_epoch_end(ran)
            ran += 1
        assert ran == epochs and budget.stopped_at == epochs, (seconds, ran)

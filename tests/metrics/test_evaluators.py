import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.harness import (conv_params, dense_params, norm_params, run_model_test,
                           run_precision_test)
from vidgen_tf.metrics import evaluator_store
from vidgen_tf.metrics.evaluator_data import (classifier_frames, digit_targets,
                                              no_digit_frames, shape_targets)
from vidgen_tf.metrics.evaluator_store import EvaluatorError, load_evaluator
from vidgen_tf.metrics.evaluators import (DigitClassifier, FrameAttributeClassifier,
                                          FrameEncoder, VideoFeatureNet)


def test_digit_classifier_harness(tmp_path, rng):
    frames = rng.uniform(-1, 1, size=(4, 20, 20, 3)).astype(np.float32)
    model = DigitClassifier(input_size=16, filters=(4, 8, 8), dense_units=8, name="tiny")
    # encoder: three bias-free 3x3 convolutions 1 -> 4 -> 8 -> 8, each batch-normalised
    # (scale and offset trained, moving mean and variance not); dense 8 -> 8 -> 11
    encoder = conv_params(9, 1, 4, bias=False) + conv_params(9, 4, 8, bias=False) \
        + conv_params(9, 8, 8, bias=False) + norm_params(4 + 8 + 8)
    run_model_test(model, frames, {"output": (4, 11)}, tmp_path=tmp_path,
                   trainable_params=encoder + dense_params(8, 8) + dense_params(8, 11),
                   non_trainable_params=norm_params(4 + 8 + 8),
                   loss="sparse_categorical_crossentropy",
                   targets=np.array([0, 3, 10, 7], np.int32))


def test_video_feature_net_harness(tmp_path, rng):
    videos = rng.uniform(-1, 1, size=(2, 6, 24, 24, 1)).astype(np.float32)
    model = VideoFeatureNet({"digits": 10, "count": 3}, channels=1, input_size=16,
                            filters=(4, 4, 8), temporal_filters=8, feature_dim=16,
                            name="tiny_net")
    # encoder 1 -> 4 -> 4 -> 8 channels; per-frame moments: 3 x (1 + 4 + 8) = 39 numbers,
    # layer-normalised, joined by their differences (78), two temporal convolutions (kernel
    # 3) to 8 channels, mean and max over time (16) -> 16 features -> the two heads
    encoder = conv_params(9, 1, 4, bias=False) + conv_params(9, 4, 4, bias=False) \
        + conv_params(9, 4, 8, bias=False) + norm_params(4 + 4 + 8)
    temporal = norm_params(39) + conv_params(3, 78, 8) + conv_params(3, 8, 8)
    heads = dense_params(16, 16) + dense_params(16, 10) + dense_params(16, 3)
    run_model_test(model, videos, {"digits": (2, 10), "count": (2, 3)}, tmp_path=tmp_path,
                   trainable_params=encoder + temporal + heads,
                   non_trainable_params=norm_params(4 + 4 + 8),
                   loss={"digits": "binary_crossentropy",
                         "count": "sparse_categorical_crossentropy"},
                   targets={"digits": np.eye(10, dtype=np.float32)[[1, 2]],
                            "count": np.array([0, 2], np.int32)},
                   )
    assert model.features(videos).shape == (2, 16)
    assert model.moments(videos).shape == (2, 6, model.encoder.moment_size)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_video_feature_net_under_mixed_precision(policy, rng):
    videos = rng.uniform(-1, 1, size=(2, 6, 24, 24, 1)).astype(np.float32)
    model = VideoFeatureNet({"digits": 10, "count": 3}, channels=1, input_size=16,
                            filters=(4, 4, 8), temporal_filters=8, feature_dim=16)
    run_precision_test(model, videos, ("digits", "count"), policies=(policy,))


def test_frame_attribute_classifier_harness(tmp_path, rng):
    frames = rng.uniform(-1, 1, size=(3, 16, 16, 3)).astype(np.float32)
    model = FrameAttributeClassifier({"shape": 6, "size": 2}, channels=3, input_size=16,
                                     filters=(4, 4, 8), name="tiny_frames")
    encoder = conv_params(9, 3, 4, bias=False) + conv_params(9, 4, 4, bias=False) \
        + conv_params(9, 4, 8, bias=False) + norm_params(4 + 4 + 8)
    heads = dense_params(8, 128) + dense_params(128, 6) + dense_params(128, 2)
    run_model_test(model, frames, {"shape": (3, 6), "size": (3, 2)}, tmp_path=tmp_path,
                   trainable_params=encoder + heads, non_trainable_params=norm_params(16),
                   loss="sparse_categorical_crossentropy",
                   targets={"shape": np.array([0, 5, 2]), "size": np.array([1, 0, 1])})


def test_moments_find_where_the_brightness_is():
    from vidgen_tf.metrics.evaluators import spatial_moments

    maps = np.zeros((1, 5, 5, 2), np.float32)
    maps[0, 4, 0, 0] = 2.0          # channel 0: bottom-left corner
    maps[0, 1:3, 2, 1] = 1.0        # channel 1: rows 1-2 of the middle column
    m = np.asarray(spatial_moments(maps))[0]
    np.testing.assert_allclose(m[:2], [2 / 25, 2 / 25], atol=1e-4)        # mean activation
    np.testing.assert_allclose(m[2:4], [1.0, 1.5 / 4], atol=1e-4)         # centre y
    np.testing.assert_allclose(m[4:6], [0.0, 0.5], atol=1e-4)             # centre x


def test_moving_content_moves_the_moments(rng):
    encoder = FrameEncoder(input_size=16, channels=1, filters=(4, 4, 8))
    frames = -np.ones((2, 16, 16, 1), np.float32)
    frames[0, 2:6, 2:6] = 1.0
    frames[1, 2:6, 10:14] = 1.0     # the same square, 8 pixels to the right
    m = np.asarray(encoder.moments(frames))
    assert m.shape == (2, encoder.moment_size)
    raw_x = m[:, 2]                  # raw brightness: (mass, y, x) of the one grey channel
    assert raw_x[1] - raw_x[0] == pytest.approx(8 / 15, abs=1e-3)


def test_grey_net_takes_colour_and_colour_net_refuses_grey(rng):
    grey = VideoFeatureNet({"a": 2}, channels=1, input_size=16, filters=(4, 4, 8))
    rgb = rng.uniform(-1, 1, size=(1, 4, 16, 16, 3)).astype(np.float32)
    assert grey.features(rgb).shape == (1, 128)
    colour = VideoFeatureNet({"a": 2}, channels=3, input_size=16, filters=(4, 4, 8))
    with pytest.raises(ValueError, match="expects 3-channel frames, got 1"):
        colour.features(rgb[..., :1])


def test_targets_by_hand():
    velocities = np.zeros((1, 4, 3, 2), np.float32)
    velocities[0, :, 0] = [0, 2]                       # digit 3: right in all 4 frames
    velocities[0, :2, 1] = [-1.9, 0]                   # digit 7: up, then down
    velocities[0, 2:, 1] = [1.9, 0]
    clips = {"digits": np.array([[3, 7, -1]]), "num_objects": np.array([2]),
             "velocities": velocities, "speeds": np.array([[2.0, 1.9, 0.0]])}
    t = digit_targets(clips, (1.0, 3.0))
    assert np.flatnonzero(t["digits"][0]).tolist() == [3, 7]
    np.testing.assert_allclose(t["directions"][0][[0, 2, 6]], [0.5, 0.25, 0.25])
    assert t["speed"][0] == pytest.approx((1.95 - 1.0) / 2.0)
    assert t["count"].tolist() == [1]
    shapes = {"shapes": np.array([[5, -1]]), "colors": np.array([[7, -1]]),
              "sizes": np.array([[1, -1]]), "num_objects": np.array([1]),
              "velocities": velocities[:, :, :2], "speeds": np.array([[2.0, 0.0]])}
    s = shape_targets(shapes, (1.0, 3.0))
    assert np.flatnonzero(s["shape_colors"][0]).tolist() == [5 * 8 + 7]
    assert np.flatnonzero(s["shape_sizes"][0]).tolist() == [5 * 2 + 1]
    np.testing.assert_allclose(s["directions"][0][0], 1.0)


def test_classifier_frames_mix_digits_and_garbage():
    frames, labels = classifier_frames(400, 100, 32, seed=3)
    assert frames.shape == (500, 32, 32, 1) and frames.dtype == np.uint8
    assert np.sum(labels == 10) == 100 and set(np.unique(labels[labels < 10])) == set(range(10))
    garbage = no_digit_frames(np.random.default_rng(0), 64, 32)
    assert garbage.shape == (64, 32, 32, 1) and len({f.tobytes() for f in garbage}) == 64
    with pytest.raises(ValueError, match="multiple of 4"):
        no_digit_frames(np.random.default_rng(0), 2, 30)


def test_shipped_evaluators_load_with_checksums():
    manifest = evaluator_store.read_manifest()
    assert set(manifest) == set(evaluator_store.NAMES)
    for name, entry in manifest.items():
        path = evaluator_store.evaluator_dir() / entry["file"]
        assert evaluator_store.sha256(path) == entry["sha256"]
        assert os.path.getsize(path) < 5_000_000
    classifier = load_evaluator("digit_classifier")
    assert load_evaluator("digit_classifier") is classifier          # cached
    assert manifest["digit_classifier"]["metrics"]["digit_accuracy_64px"] >= 0.95


def test_damaged_or_missing_weights_say_how_to_rebuild(tmp_path):
    folder = tmp_path / "evaluators"
    shutil.copytree(evaluator_store.evaluator_dir(), folder)
    with open(folder / "digit_classifier.weights.h5", "r+b") as f:
        f.seek(5000)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(EvaluatorError, match=r"do not match the manifest: SHA-256.*train_evaluators"
                                             r" --only digit_classifier"):
        load_evaluator("digit_classifier", folder=folder)
    os.remove(folder / "digit_features.weights.h5")
    with pytest.raises(EvaluatorError, match="missing.*train_evaluators --only digit_features"):
        load_evaluator("digit_features", folder=folder)
    with pytest.raises(EvaluatorError, match="is not in .*manifest.json"):
        load_evaluator("shape_features", folder=tmp_path)
    with pytest.raises(KeyError, match="No evaluator 'inception'"):
        load_evaluator("inception")


@pytest.mark.slow
def test_training_command_writes_loadable_evaluators(tmp_path):
    run = subprocess.run([sys.executable, "-m", "vidgen_tf.metrics.train_evaluators", "--quick",
                          "--only", "digit_classifier", "digit_features", "--out",
                          str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert set(manifest) == {"digit_classifier", "digit_features"}
    entry = manifest["digit_features"]
    assert entry["training"]["command"].endswith(f"--out {tmp_path}")
    assert set(entry["metrics"]) == {"digits", "dominant_direction", "speed_abs_error", "count"}
    net = load_evaluator("digit_features", folder=tmp_path)
    assert net.features(np.zeros((1, 16, 64, 64, 1), np.float32)).shape == (1, 128)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_evaluators_measure_in_float32_under_any_global_policy(policy, rng):
    """A run at the gpu profile scores its samples while its mixed policy is still set: the
    evaluators are built in float32 all the same, and score as they do under float32."""
    from vidgen_tf.metrics import evaluator_store
    from vidgen_tf.metrics.scores import clip_features
    from vidgen_tf.precision import set_precision

    videos = rng.integers(0, 256, size=(4, 16, 32, 32, 1), dtype=np.uint8)
    expected = np.asarray(clip_features(videos))
    saved = dict(evaluator_store._CACHE)
    evaluator_store._CACHE.clear()
    try:
        set_precision(policy)
        model = evaluator_store.load_evaluator("digit_features")
        assert {layer.dtype_policy.name for layer in model._flatten_layers()} == {"float32"}
        np.testing.assert_allclose(np.asarray(clip_features(videos)), expected, rtol=1e-5,
                                   atol=1e-5)
    finally:
        set_precision("float32")
        evaluator_store._CACHE.clear()
        evaluator_store._CACHE.update(saved)

"""Helpers the recipes share: drawing samples in batches, and the labels a conditional model is
scored with."""

import numpy as np
import pytest

from vidgen_tf.training.gan_recipe import balanced_labels
from vidgen_tf.training.recipes import sample_in_batches


def test_sample_in_batches_passes_each_batch_its_labels_and_seed():
    calls = []

    def generate(n, **options):
        calls.append((n, options))
        labels = options.get("labels", np.zeros((n, 1)))
        return np.full((n, 2), options.get("seed", -1), float) + np.asarray(labels)[:, :1]

    labels = np.arange(10)[:, None]
    out = sample_in_batches(generate, 10, batch_size=4, labels=labels, seed=7)
    assert [n for n, _ in calls] == [4, 4, 2]
    assert [o["seed"] for _, o in calls] == [7, 8, 9]
    np.testing.assert_array_equal(calls[2][1]["labels"], [[8], [9]])
    np.testing.assert_array_equal(out[:, 0], [7, 8, 9, 10, 12, 13, 14, 15, 17, 18])
    calls.clear()
    assert sample_in_batches(generate, 3, batch_size=2).shape == (3, 2)
    assert calls == [(2, {}), (1, {})]                  # no labels, no seed: plain generate(n)


def test_balanced_labels_go_through_the_digits_in_turn():
    np.testing.assert_array_equal(balanced_labels(12)[:, 0], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    pairs = balanced_labels(100, 2)
    assert pairs.shape == (100, 2) and pairs.dtype == np.int32
    assert len({tuple(p) for p in pairs}) == 100           # every pair of digits once
    np.testing.assert_array_equal(pairs[23], [3, 2])


def test_frame_vae_recipes_are_variants_of_one_and_score_held_out_frames(tmp_path):
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.frame_vae_recipe import BETAS, frames, recipe_name
    from vidgen_tf.training.recipes import get_recipe, tested_recipes
    from vidgen_tf.training.run import train

    names = [recipe_name(b) for b in BETAS]
    assert names == ["frame-vae-beta1", "frame-vae-beta64", "frame-vae-beta2048"]
    assert names[0] in tested_recipes() and not set(names[1:]) & set(tested_recipes())
    assert {get_recipe(n).variant_of for n in names[1:]} == {names[0]}
    smoke = get_profile("smoke")
    batch = next(iter(get_recipe(names[1]).data(smoke)))
    assert batch.shape == (16, 32, 32, 1)                  # the frames of 4 clips
    # the frames of the stream's first 4 clips, in order (clip 0's 4 frames, then clip 1's)
    from vidgen_tf.data import MovingDigits, to_float

    clips = MovingDigits(num_frames=4, image_size=32, num_digits=1, split="train").generate(4)
    np.testing.assert_allclose(np.asarray(batch), np.asarray(to_float(clips["video"])).reshape(
        (16, 32, 32, 1)), atol=1e-6)
    model, metrics = train(names[2], smoke, str(tmp_path / "run"), verbose=0)
    assert model.beta == 2048.0
    scores = metrics["scores"]
    test = frames(smoke, "test", 256)
    assert scores["heldout_frames"] == 256
    assert scores["test_mean_pixel"] == pytest.approx(float(test.mean()))
    assert scores["test_mean_pixel"] < -0.8                 # mostly black frames
    recon = np.asarray(model.reconstruct(test), np.float64)
    assert scores["heldout_mse"] == pytest.approx(float(np.mean((test - recon) ** 2)), rel=1e-4)
    out = model(test, training=False)
    mean, log_var = (np.asarray(out[k], np.float64) for k in ("mean", "log_var"))
    kl = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1)     # by hand
    assert scores["heldout_kl_nats"] == pytest.approx(float(kl.mean()), rel=1e-4)
    samples = np.asarray(model.generate(256, seed=1))
    assert scores["samples_mean_pixel"] == pytest.approx(float(samples.mean()), abs=1e-6)


def test_a_variant_must_name_a_registered_original(monkeypatch):
    import dataclasses

    from vidgen_tf.training.recipes import RECIPES, get_recipe, tested_recipes

    original = get_recipe("frame-vae-beta1")
    orphan = dataclasses.replace(original, name="frame-vae-orphan", variant_of="frame-vae-b1")
    monkeypatch.setitem(RECIPES._entries, orphan.name, orphan)
    with pytest.raises(ValueError, match="'frame-vae-orphan': variant_of='frame-vae-b1' must "
                                         "name a registered recipe"):
        tested_recipes()

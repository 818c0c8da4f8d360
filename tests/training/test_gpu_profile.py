"""The gpu profile is what a Colab student gets, and no machine of ours has a GPU: every recipe
is built at the gpu profile's sizes and takes one training step here, on the CPU (float32, no
XLA, to keep it cheap), so that a shape or size mistake in that profile shows up in the tests."""

import numpy as np
import pytest

from vidgen_tf.config import get_profile
from vidgen_tf.training.recipes import RECIPES, _load_builtin, tested_recipes

_load_builtin()


@pytest.mark.slow
@pytest.mark.parametrize("name", tested_recipes())   # variants differ in numbers only
def test_every_recipe_takes_a_step_at_the_gpu_profile_sizes(name, monkeypatch):
    from vidgen_tf.bench.models import _first_batch
    from vidgen_tf.training import videogpt_recipe

    # the prior's tokens from an untrained VQ-VAE of the gpu profile's sizes (no trained one
    # ships at that profile)
    monkeypatch.setenv(videogpt_recipe.VQVAE_ENV, videogpt_recipe.UNTRAINED)
    recipe = RECIPES[name]
    gpu = get_profile("gpu").replace(precision="float32", jit_compile=False)
    model = recipe.build(gpu)
    batch = _first_batch(recipe, gpu)
    # clips, or a prior's tokens
    videos = batch.get("video", batch.get("tokens")) if isinstance(batch, dict) else batch
    assert videos.shape[0] == recipe.batch_size(gpu)
    assert tuple(videos.shape[1:]) == tuple(model.data_shape)
    # the step on 2 clips of that batch: the shapes are the profile's, the FLOPs 1/16 of a
    # full gpu batch's (on a CPU, a full step of the gan recipe took 46 s)
    two = ({k: v[:2] for k, v in batch.items()} if isinstance(batch, dict) else batch[:2])
    before = [np.array(w) for w in model.trainable_weights]
    logs = model.train_on_batch(two, return_dict=True)
    assert logs and all(np.isfinite(v) for v in logs.values()), logs
    changed = sum(not np.array_equal(a, np.array(b))
                  for a, b in zip(before, model.trainable_weights))
    assert changed > 0.5 * len(before)            # the step trained the model

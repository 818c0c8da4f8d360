"""What the gpu profile turns on, exercised on the CPU: mixed precision (bfloat16, and float16
with loss scaling) and XLA-compiled train steps, for every model at tiny shapes."""

import numpy as np
import pytest

import keras
from tests.training import tiny_models
from vidgen_tf.training import needs_loss_scaling, scaled_optimizer, set_precision


@pytest.fixture
def policy():
    def use(name):
        set_precision(name)
        return name
    yield use
    set_precision("float32")


def _steps(model, n=3):
    data = tiny_models.batch("", model, size=4)
    logs = [model.train_on_batch(data, return_dict=True) for _ in range(n)]
    key = next(k for k in ("d_loss", "d_video_loss", "loss") if k in logs[0])   # GANs: D's
    return [float(step[key]) for step in logs]


@pytest.mark.parametrize("name", tiny_models.MODELS)
def test_mixed_bfloat16_trains_with_finite_losses(name, policy):
    policy("mixed_bfloat16")
    model = tiny_models.build(name)
    assert model.compute_dtype == "bfloat16" and model.variable_dtype == "float32"
    tiny_models.compile_for_test(model, optimizer=lambda: keras.optimizers.Adam(1e-3))
    losses = _steps(model)
    assert all(np.isfinite(losses))
    assert all(w.dtype == "float32" for w in model.trainable_weights)


@pytest.mark.parametrize("name", tiny_models.MODELS)
def test_mixed_float16_scales_the_loss(name, policy):
    policy("mixed_float16")
    assert needs_loss_scaling()
    model = tiny_models.build(name)
    tiny_models.compile_for_test(
        model, optimizer=lambda: scaled_optimizer("adam", model.dtype_policy))
    optimizers = [getattr(model, n) for n in ("optimizer", "discriminator_optimizer",
                                              "image_discriminator_optimizer",
                                              "video_discriminator_optimizer")
                  if getattr(model, n, None) is not None]
    assert all(isinstance(o, keras.optimizers.LossScaleOptimizer) for o in optimizers)
    # the dynamic scale starts at 2^15 and halves at each overflowing step: the sprite VAE's
    # tiny model overflows until 2^12 (3 skipped steps), so give it 5
    losses = _steps(model, n=5)
    assert all(np.isfinite(losses))
    assert float(model.optimizer.dynamic_scale) > 1.0
    assert int(model.optimizer.iterations) >= 1      # overflowing steps are skipped, not all


def test_float32_needs_no_scaling(policy):
    policy("float32")
    assert not needs_loss_scaling()
    assert not isinstance(scaled_optimizer("adam"), keras.optimizers.LossScaleOptimizer)
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        set_precision("float8")


@pytest.mark.parametrize("name", tiny_models.MODELS)
def test_train_step_compiles_with_xla(name):
    keras.utils.set_random_seed(0)
    model = tiny_models.compile_for_test(tiny_models.build(name), jit_compile=True)
    reference = tiny_models.compile_for_test(tiny_models.build(name), jit_compile=False)
    reference.set_weights(model.get_weights())
    data = tiny_models.batch(name, model)
    compiled = model.train_on_batch(data, return_dict=True)
    plain = reference.train_on_batch(data, return_dict=True)
    # XLA draws different random numbers from the same seed (another RNG algorithm), so
    # with the gradient penalty's random mixes only the logits before the update can agree
    keys = plain if not getattr(model, "gp_weight", 0) else ("real_logit", "fake_logit")
    for key in keys:
        assert compiled[key] == pytest.approx(plain[key], rel=1e-3, abs=1e-5), key
    assert all(np.isfinite(v) for v in compiled.values())
    if keys is plain:
        for a, b in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-5)

import dataclasses
import random

import numpy as np
import pytest

from vidgen_tf import config
from vidgen_tf.config import PROFILES, get_profile, seed_everything


def test_profiles_have_increasing_budgets():
    smoke, cpu, gpu = PROFILES["smoke"], PROFILES["cpu"], PROFILES["gpu"]
    assert smoke.train_steps < cpu.train_steps < gpu.train_steps
    assert smoke.image_size <= cpu.image_size <= gpu.image_size
    assert smoke.batch_size < cpu.batch_size < gpu.batch_size
    # XLA made CPU train steps ~30x slower here: only the gpu profile turns it on.
    assert not smoke.jit_compile and not cpu.jit_compile and gpu.jit_compile
    assert gpu.precision == "mixed_float16" and cpu.precision == "float32"


def test_env_variable_selects_profile(monkeypatch):
    monkeypatch.setenv("VIDGEN_PROFILE", "GPU ")
    assert get_profile().name == "gpu"
    assert get_profile("smoke").name == "smoke"        # an explicit name wins


@pytest.mark.parametrize("device_types, kind", [
    ([], "cpu"),
    (["CPU"], "cpu"),
    (["CPU", "GPU"], "gpu"),
    (["gpu", "GPU"], "gpu"),
    (["CPU", "TPU"], "tpu"),
    (["GPU", "TPU"], "tpu"),                            # a TPU wins over a GPU
    ((t for t in ["CPU", "GPU"]), "gpu"),               # any iterable, e.g. a generator
])
def test_device_kind_maps_device_types(device_types, kind):
    assert config.device_kind(device_types) == kind


def test_device_kind_rejects_what_is_not_a_list_of_types():
    with pytest.raises(TypeError, match=r"device_kind\(device_types\).*single string 'GPU'"):
        config.device_kind("GPU")
    with pytest.raises(TypeError, match=r"device-type strings.*got int 3"):
        config.device_kind(["CPU", 3])


@pytest.mark.parametrize("tpus, gpus, kind", [
    (0, 0, "cpu"), (0, 2, "gpu"), (1, 0, "tpu"), (1, 1, "tpu")])
def test_detect_device_asks_tensorflow_for_tpus_and_gpus(monkeypatch, tpus, gpus, kind):
    """TPUs among the logical devices, GPUs among the physical ones (faked here)."""
    import collections

    import tensorflow as tf

    Device = collections.namedtuple("Device", "name device_type")
    listed = {("logical", "TPU"): [Device(f"/device:TPU:{i}", "TPU") for i in range(tpus)],
              ("physical", "GPU"): [Device(f"/physical_device:GPU:{i}", "GPU")
                                    for i in range(gpus)]}
    monkeypatch.setattr(tf.config, "list_logical_devices",
                        lambda device_type=None: listed.get(("logical", device_type), []))
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda device_type=None: listed.get(("physical", device_type), []))
    assert config.detect_device() == kind


@pytest.mark.parametrize("device, profile", [("cpu", "cpu"), ("gpu", "gpu")])
def test_devices_select_profile_without_env(monkeypatch, device, profile):
    monkeypatch.delenv("VIDGEN_PROFILE", raising=False)
    monkeypatch.setattr(config, "detect_device", lambda: device)
    assert get_profile() is PROFILES[profile]


def test_tpu_gets_bfloat16(monkeypatch):
    monkeypatch.delenv("VIDGEN_PROFILE", raising=False)
    monkeypatch.setattr(config, "detect_device", lambda: "tpu")
    profile = get_profile()
    assert profile.name == "gpu" and profile.precision == "mixed_bfloat16"


def test_unknown_profile_lists_valid_names(monkeypatch):
    monkeypatch.setenv("VIDGEN_PROFILE", "laptop")
    with pytest.raises(ValueError, match=r"'laptop'.*VIDGEN_PROFILE.*cpu, gpu, smoke"):
        get_profile()


@pytest.mark.parametrize("name", [3, 1.5, ["cpu"], b"cpu", PROFILES["cpu"]])
def test_profile_name_of_another_type_is_a_type_error(name):
    with pytest.raises(TypeError) as error:
        get_profile(name)
    message = str(error.value)
    assert message.startswith("get_profile(name) expects a profile name (str: cpu, gpu, smoke)")
    assert f"got {type(name).__name__} {name!r}" in message


@pytest.mark.parametrize("value", ["", "  "])
def test_empty_env_variable_is_an_error_not_auto(monkeypatch, value):
    monkeypatch.setenv("VIDGEN_PROFILE", value)
    monkeypatch.setattr(config, "detect_device", lambda: pytest.fail("devices were asked"))
    with pytest.raises(ValueError) as error:
        get_profile()
    message = str(error.value)
    assert f"VIDGEN_PROFILE is set but empty ({value!r})" in message
    assert "Unset it" in message and "cpu, gpu, smoke" in message
    assert get_profile("cpu").name == "cpu"             # an explicit name needs no variable


def test_profile_is_frozen_and_pick_chooses_by_name():
    profile = get_profile("cpu")
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.batch_size = 3
    assert profile.pick(smoke=1, cpu=2, gpu=3) == 2
    assert profile.replace(batch_size=3).batch_size == 3 and profile.batch_size == 16
    with pytest.raises(KeyError, match="active profile is 'cpu'"):
        profile.pick(smoke=1, gpu=3)


def _draws():
    import keras
    import tensorflow as tf

    return (random.random(), float(np.random.rand()), float(tf.random.uniform(())),
            float(keras.random.normal(())))


def test_seed_everything_repeats_every_generator():
    seed_everything(7)
    first = _draws()
    seed_everything(7)
    assert _draws() == first
    seed_everything(8)
    assert all(a != b for a, b in zip(_draws(), first))


def test_seed_everything_rejects_non_int():
    with pytest.raises(TypeError, match="expects an int"):
        seed_everything("7")

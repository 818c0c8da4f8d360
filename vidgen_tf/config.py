"""Profiles, device detection and seeding.

A *profile* is the one place where the size of a lesson's work is decided. Three exist:

- ``smoke``: the test suite. Tiny shapes and a few steps; a notebook runs in seconds.
- ``cpu``: a 2-core laptop. Each lesson trains in minutes to results a person recognises.
- ``gpu``: a Colab T4 or better. Stronger results in tens of minutes, XLA and mixed precision.

The active profile comes from the ``VIDGEN_PROFILE`` environment variable when it is set,
otherwise from the devices TensorFlow sees (a GPU or TPU selects ``gpu``, else ``cpu``).
Lessons read their hyperparameters from it::

    from vidgen_tf.config import get_profile, seed_everything
    P = get_profile()
    seed_everything(0)
    steps = P.pick(smoke=2, cpu=600, gpu=5000)   # a lesson-specific knob

Introduced in lesson 00.
"""

from __future__ import annotations

import dataclasses
import os
import random

import numpy as np

PROFILE_ENV = "VIDGEN_PROFILE"


@dataclasses.dataclass(frozen=True)
class Profile:
    """The shared knobs of one profile.

    Args:
        name: str. ``"smoke"``, ``"cpu"`` or ``"gpu"``.
        image_size: int. Height and width of video frames in pixels.
        num_frames: int. Frames per clip.
        batch_size: int. Clips per training batch.
        train_steps: int. Default number of optimizer steps for one lesson's model.
        eval_samples: int. Clips generated to compute a score.
        jit_compile: bool. Whether train steps are compiled with XLA. Off on CPUs, where
            XLA made a Conv3D train step about 30 times slower (DESIGN.md section 7).
        precision: str. A Keras dtype policy name: ``"float32"``, ``"mixed_float16"`` or
            ``"mixed_bfloat16"``.
        description: str. One line for people.
    """

    name: str
    image_size: int
    num_frames: int
    batch_size: int
    train_steps: int
    eval_samples: int
    jit_compile: bool
    precision: str
    description: str = ""

    def pick(self, **values):
        """Return the value given for this profile's name.

        Args:
            **values: one keyword per profile name, for example
                ``pick(smoke=2, cpu=600, gpu=5000)``.

        Returns:
            The value for ``self.name``.
        """
        if self.name not in values:
            raise KeyError(
                f"Profile.pick() was given values for {sorted(values)} but the active "
                f"profile is {self.name!r}; pass a value for each of {sorted(PROFILES)}."
            )
        return values[self.name]

    def replace(self, **changes) -> "Profile":
        """A copy with some fields changed (profiles themselves are frozen)."""
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke",
        image_size=32,
        num_frames=8,
        batch_size=4,
        train_steps=2,
        eval_samples=16,
        jit_compile=False,
        precision="float32",
        description="test suite: tiny shapes, a few steps, seconds per notebook",
    ),
    "cpu": Profile(
        name="cpu",
        image_size=64,
        num_frames=16,
        batch_size=16,
        train_steps=1500,
        eval_samples=256,
        jit_compile=False,
        precision="float32",
        description="2-core laptop: minutes per lesson",
    ),
    "gpu": Profile(
        name="gpu",
        image_size=64,
        num_frames=16,
        batch_size=64,
        train_steps=20000,
        eval_samples=2048,
        jit_compile=True,
        precision="mixed_float16",
        description="Colab T4 or better: tens of minutes per lesson, XLA, mixed precision",
    ),
}


def device_kind(device_types) -> str:
    """The kind of accelerator in a list of devices: ``"tpu"``, ``"gpu"`` or ``"cpu"``.

    A pure function (no device is queried), so that the choice can be tested anywhere.

    Args:
        device_types: iterable of str. Device types as TensorFlow spells them
            (``device.device_type``: ``"CPU"``, ``"GPU"``, ``"TPU"``; any case).

    Returns:
        ``"tpu"`` if a TPU is listed, else ``"gpu"`` if a GPU is, else ``"cpu"``.

    Raises:
        TypeError: ``device_types`` is a single string, or holds something else than
            strings.

    Example:
        >>> device_kind(["CPU", "GPU"])
        'gpu'
    """
    if isinstance(device_types, (str, bytes)):
        raise TypeError(f"device_kind(device_types) expects a list of device types such as "
                        f"['CPU', 'GPU'], got the single string {device_types!r}.")
    kinds = []
    for device_type in device_types:
        if not isinstance(device_type, str):
            raise TypeError(f"device_kind(device_types) expects device-type strings such as "
                            f"'CPU' or 'GPU', got {type(device_type).__name__} "
                            f"{device_type!r}.")
        kinds.append(device_type.strip().upper())
    if "TPU" in kinds:
        return "tpu"
    if "GPU" in kinds:
        return "gpu"
    return "cpu"


def detect_device() -> str:
    """Return ``"tpu"``, ``"gpu"`` or ``"cpu"``: the best accelerator TensorFlow sees.

    TPUs are looked for among the logical devices (they appear once a TPU system is
    initialised), GPUs among the physical ones (listing them does not initialise them);
    ``device_kind`` makes the choice.
    """
    import tensorflow as tf

    devices = tf.config.list_logical_devices("TPU") + tf.config.list_physical_devices("GPU")
    return device_kind(device.device_type for device in devices)


def get_profile(name: str | None = None) -> Profile:
    """Return the active profile.

    Args:
        name: optional str. A profile name (any case); overrides ``VIDGEN_PROFILE`` and the
            devices. With None, ``VIDGEN_PROFILE`` decides when it is set, else the devices
            (``detect_device``).

    Returns:
        A frozen ``Profile``.

    Raises:
        TypeError: ``name`` is neither a str nor None.
        ValueError: the name (given or from ``VIDGEN_PROFILE``) is not a profile, or
            ``VIDGEN_PROFILE`` is set but empty.
    """
    valid = ", ".join(sorted(PROFILES))
    if name is not None and not isinstance(name, str):
        raise TypeError(f"get_profile(name) expects a profile name (str: {valid}) or None, "
                        f"got {type(name).__name__} {name!r}.")
    source = "argument name"
    if name is None and PROFILE_ENV in os.environ:
        name, source = os.environ[PROFILE_ENV], f"environment variable {PROFILE_ENV}"
        if not name.strip():
            raise ValueError(
                f"The environment variable {PROFILE_ENV} is set but empty ({name!r}). Unset "
                f"it (`unset {PROFILE_ENV}`, or `del os.environ[{PROFILE_ENV!r}]`) to choose "
                f"the profile from the devices, or set it to a profile: {valid}.")
    if name is None:
        device = detect_device()
        if device == "tpu":        # TPUs compute in bfloat16, not float16
            return PROFILES["gpu"].replace(precision="mixed_bfloat16")
        name = "cpu" if device == "cpu" else "gpu"
    key = name.strip().lower()
    if key not in PROFILES:
        raise ValueError(
            f"Unknown profile {name!r} (from the {source}); valid profiles are {valid}."
        )
    return PROFILES[key]


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy, TensorFlow and Keras so a run can be repeated.

    Args:
        seed: int. The seed.
        deterministic: bool. Also ask TensorFlow for deterministic kernels
            (``tf.config.experimental.enable_op_determinism``), which some GPU ops pay
            for in speed.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed_everything(seed) expects an int, got {type(seed).__name__}.")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses started from here
    random.seed(seed)
    np.random.seed(seed % 2**32)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    # Keras 3.10 kept its global SeedGenerator (unseeded keras.random calls) across
    # set_random_seed: drop it, so that the next unseeded draw starts from this seed there
    # too (newer Keras does the same in set_random_seed)
    try:
        from keras.src.backend.common import global_state

        global_state.set_global_attribute("global_seed_generator", None)
    except ImportError:        # a Keras whose internals moved: its set_random_seed does it
        pass
    tf.random.set_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()

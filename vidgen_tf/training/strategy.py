"""Distribution strategies by name (lesson 02).

``get_strategy(name)`` returns a ``tf.distribute.Strategy``:

- ``"auto"``: a TPU when one is reachable, all GPUs (``MirroredStrategy``) when there are
  several, the one GPU, else the default (no-op) strategy on the CPU;
- ``"cpu"``: one CPU device;
- ``"mirrored"``: synchronous data parallelism over the GPUs of this machine, or over its
  logical CPU devices when there is no GPU (see ``use_logical_cpus``: this is how the tests
  exercise multi-device training on a laptop);
- ``"multiworker"``: ``MultiWorkerMirroredStrategy``: one process per worker, the cluster
  described by the ``TF_CONFIG`` environment variable;
- ``"tpu"``: ``TPUStrategy`` on the TPU that ``TPUClusterResolver`` finds (Colab, Cloud).

Models are built and compiled inside ``strategy.scope()``; a global batch of ``B`` clips is
split into ``B / replicas`` per device and the gradients are summed, so each replica scales
its mean loss by ``1 / replicas`` (``keras`` does this in ``fit``; custom train steps in
``vidgen_tf.models`` do it themselves).
"""

from __future__ import annotations

import json
import os

STRATEGIES = ("auto", "cpu", "mirrored", "multiworker", "tpu")


def use_logical_cpus(count):
    """Split the physical CPU into ``count`` logical devices (before TensorFlow uses it).

    Args:
        count: int >= 1.

    Returns:
        The names of the CPU devices, e.g. ``["/cpu:0", "/cpu:1"]``.

    Raises:
        RuntimeError: when TensorFlow has already initialised its devices with another split.
    """
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(int(count))]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != len(wanted):
        try:
            tf.config.set_logical_device_configuration(cpu, wanted)
        except RuntimeError as error:
            present = len(tf.config.list_logical_devices("CPU"))
            if present != count:
                raise RuntimeError(
                    f"use_logical_cpus({count}): TensorFlow already runs with {present} "
                    f"CPU device(s); call it before any TensorFlow operation (at the top of "
                    f"the script or notebook).") from error
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def _tpu_strategy():
    import tensorflow as tf

    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.NotFoundError) as error:
        raise RuntimeError(f"get_strategy('tpu'): no TPU found ({error}). On Colab, choose a "
                           f"TPU runtime; elsewhere use 'auto'.") from error
    return tf.distribute.TPUStrategy(resolver)


def get_strategy(name="auto"):
    """The ``tf.distribute.Strategy`` called ``name`` (one of ``STRATEGIES``).

    Raises:
        ValueError: for an unknown name, or ``"multiworker"`` without a valid ``TF_CONFIG``.
        RuntimeError: for ``"tpu"`` without a TPU.
    """
    import tensorflow as tf

    key = str(name).strip().lower()
    if key not in STRATEGIES:
        raise ValueError(f"Unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}.")
    if key == "multiworker":
        config = os.environ.get("TF_CONFIG")
        try:
            cluster = json.loads(config)["cluster"]["worker"] if config else None
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"get_strategy('multiworker'): TF_CONFIG is not valid JSON with "
                             f"cluster.worker: {config!r}") from error
        if not cluster:
            raise ValueError("get_strategy('multiworker') needs the TF_CONFIG environment "
                             "variable: {\"cluster\": {\"worker\": [\"host:port\", ...]}, "
                             "\"task\": {\"type\": \"worker\", \"index\": i}}.")
        # first, before anything touches TensorFlow: collectives are set up at start-up
        return tf.distribute.MultiWorkerMirroredStrategy()
    if key == "tpu":
        return _tpu_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if key == "auto":
        if os.environ.get("TPU_NAME") or os.environ.get("COLAB_TPU_ADDR"):
            return _tpu_strategy()
        if len(gpus) > 1:
            return tf.distribute.MirroredStrategy()
        if len(gpus) == 1:
            return tf.distribute.OneDeviceStrategy("/gpu:0")
        return tf.distribute.get_strategy()
    if key == "cpu":
        return tf.distribute.OneDeviceStrategy("/cpu:0")
    if gpus:                                                    # "mirrored"
        return tf.distribute.MirroredStrategy()
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(
        devices=cpus, cross_device_ops=tf.distribute.ReductionToOneDevice())

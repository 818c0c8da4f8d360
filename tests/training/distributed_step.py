"""One training step of a model on one device and under MirroredStrategy over two logical
CPU devices, on the same global batch; prints the largest differences as JSON.

Run in its own process (logical devices must be set before TensorFlow starts):
    python -m tests.training.distributed_step video_vae video_gan ...
"""

import json
import sys

import numpy as np


def main(names):
    from vidgen_tf.training import use_logical_cpus

    use_logical_cpus(2)
    for name in names:
        print("RESULT " + json.dumps({"model": name, **compare(name)}), flush=True)


def compare(name):
    import keras
    import tensorflow as tf

    from vidgen_tf.training import get_strategy

    from tests.training import tiny_models

    keras.utils.set_random_seed(0)
    single = tiny_models.build(name)
    initial = single.get_weights()
    data = tiny_models.batch(name, single)
    tiny_models.compile_for_test(single)
    logs_single = single.train_on_batch(data, return_dict=True)

    strategy = get_strategy("mirrored")
    with strategy.scope():
        mirrored = tiny_models.build(name)
        mirrored.set_weights(initial)
        tiny_models.compile_for_test(mirrored)
    dataset = tf.data.Dataset.from_tensors(data)
    history = mirrored.fit(dataset, epochs=1, verbose=0)
    logs_mirrored = {k: v[0] for k, v in history.history.items()}
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(single.get_weights(), initial))
    diff = max(float(np.max(np.abs(a - b)))
               for a, b in zip(single.get_weights(), mirrored.get_weights()))
    return {
        "replicas": strategy.num_replicas_in_sync,
        "logs_single": {k: float(v) for k, v in logs_single.items()},
        "logs_mirrored": {k: float(v) for k, v in logs_mirrored.items()},
        "weights_moved": moved, "weights_diff": diff}


if __name__ == "__main__":
    main(sys.argv[1:])

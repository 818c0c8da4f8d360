"""One worker of a two-process MultiWorkerMirroredStrategy run (TF_CONFIG set by the test).

    TF_CONFIG=... python -m tests.training.multiworker_step OUT
"""

import json
import sys

import numpy as np


def main(out):
    from vidgen_tf.training import get_strategy

    strategy = get_strategy("multiworker")
    import keras
    import tensorflow as tf

    from tests.training import tiny_models

    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = tiny_models.build("video_vae")
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
    # plain video batches: Keras 3.15's first-batch build under MultiWorkerMirroredStrategy
    # all-reduces the batch and fails on dicts (trainer._maybe_symbolic_build)
    data = tiny_models.batch("video_vae", model, size=8)["video"]
    dataset = tf.data.Dataset.from_tensors(data).repeat()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    history = model.fit(dataset.with_options(options), epochs=3, steps_per_epoch=2, verbose=0)
    print("RESULT " + json.dumps({
        "replicas": strategy.num_replicas_in_sync,
        "steps": int(model.optimizer.iterations.numpy()),
        "losses": history.history["loss"],
        "checksum": float(sum(np.sum(np.abs(w)) for w in model.get_weights()))}))


if __name__ == "__main__":
    main(sys.argv[1])

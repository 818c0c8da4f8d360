"""One worker of a two-process MultiWorkerMirroredStrategy run (TF_CONFIG set by the test),
or, with ``--one-device``, the same training on one device: the reference the two workers
must equal.

    TF_CONFIG=... python -m tests.training.multiworker_step OUT
    python -m tests.training.multiworker_step OUT --one-device
"""

import json
import sys

import numpy as np

BATCH = 8            # the global batch; each of the two workers trains on half of it


def per_replica_noise(replicas):
    """Make ``keras.random.normal`` draw one replica's share of a batch of noise and repeat
    it ``replicas`` times, as ``replicas`` replicas whose seed generators hold the same state
    do: on one device the VAE then sees the noise the workers see."""
    import keras
    from keras import ops

    normal = keras.random.normal

    def draw(shape, *args, **kwargs):
        share = normal((shape[0] // replicas,) + tuple(shape[1:]), *args, **kwargs)
        return ops.concatenate([share] * replicas, axis=0)

    keras.random.normal = draw


def main(out, one_device=False):
    from vidgen_tf.training import get_strategy

    strategy = get_strategy("cpu" if one_device else "multiworker")
    import keras
    import tensorflow as tf

    from tests.training import tiny_models

    if one_device:
        per_replica_noise(2)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = tiny_models.build("video_vae")
        model.compile(optimizer=keras.optimizers.Adam(1e-2))
    # plain video batches: Keras 3.15's first-batch build under MultiWorkerMirroredStrategy
    # all-reduces the batch and fails on dicts (trainer._maybe_symbolic_build)
    data = tiny_models.batch("video_vae", model, size=BATCH)["video"]
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
    main(sys.argv[1], one_device="--one-device" in sys.argv[2:])

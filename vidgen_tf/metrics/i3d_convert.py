"""Convert the public Kinetics-400 I3D checkpoint into weights for ``InceptionI3D``.

The checkpoint is published with deepmind/kinetics-i3d (Apache 2.0): the RGB stream trained on
Kinetics-400 from ImageNet-inflated weights is ``data/checkpoints/rgb_imagenet/model.ckpt``
(three files: ``model.ckpt.index``, ``model.ckpt.data-00000-of-00001``, ``checkpoint``). On a
machine with network access::

    git clone https://github.com/deepmind/kinetics-i3d
    python -m vidgen_tf.metrics.i3d_convert kinetics-i3d/data/checkpoints/rgb_imagenet/model.ckpt \\
        data/cache/i3d_kinetics400_rgb.weights.h5

then ``vidgen_tf.metrics.i3d.fvd(generated, real, weights="data/cache/i3d_kinetics400_rgb.weights.h5")``.

The checkpoint's variables live under ``RGB/inception_i3d/``: for every unit
``<unit>/conv_3d/w`` (the kernel, already in the ``(T, H, W, in, out)`` layout Keras uses) and
``<unit>/batch_norm/{beta,moving_mean,moving_variance}`` (shape ``(1, 1, 1, 1, C)``, flattened
here); the classifier is ``Logits/Conv3d_0c_1x1/conv_3d/{w,b}``. Every variable of the model
must be found with the right size, or the conversion stops and says which.

Introduced in lesson 08 (evaluating video).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

SCOPE = "RGB/inception_i3d"


def checkpoint_map(model, scope=SCOPE):
    """``[(keras variable, checkpoint name)]`` for every weight of an ``InceptionI3D``."""
    pairs = []
    for unit in model.units():
        prefix = f"{scope}/{unit.name.replace('.', '/')}"
        pairs += [(unit.conv.kernel, f"{prefix}/conv_3d/w"),
                  (unit.norm.beta, f"{prefix}/batch_norm/beta"),
                  (unit.norm.moving_mean, f"{prefix}/batch_norm/moving_mean"),
                  (unit.norm.moving_variance, f"{prefix}/batch_norm/moving_variance")]
    pairs += [(model.logits.kernel, f"{scope}/Logits/Conv3d_0c_1x1/conv_3d/w"),
              (model.logits.bias, f"{scope}/Logits/Conv3d_0c_1x1/conv_3d/b")]
    return pairs


def convert(checkpoint, out, scope=SCOPE, log=print):
    """Read a kinetics-i3d checkpoint, load it into ``InceptionI3D``, save ``.weights.h5``.

    Args:
        checkpoint: str. The checkpoint prefix (``.../model.ckpt``).
        out: str. The ``.weights.h5`` file to write.
        scope: str. Variable scope of the RGB model in the checkpoint.

    Returns:
        int: the number of values converted.

    Raises:
        ValueError: a variable is missing from the checkpoint or has the wrong size.
    """
    import tensorflow as tf

    from vidgen_tf.metrics.i3d import build_i3d

    try:
        reader = tf.train.load_checkpoint(checkpoint)
    except (tf.errors.OpError, ValueError) as error:
        raise ValueError(f"{checkpoint!r} is not a readable TensorFlow checkpoint prefix "
                         f"(expected files {checkpoint}.index and {checkpoint}.data-*): "
                         f"{getattr(error, 'message', error)}") from None
    available = reader.get_variable_to_shape_map()
    model = build_i3d()
    total = 0
    for variable, name in checkpoint_map(model, scope):
        if name not in available:
            near = sorted(n for n in available if n.split("/")[-3:-1] == name.split("/")[-3:-1])
            raise ValueError(f"Checkpoint {checkpoint!r} has no variable {name!r}"
                             + (f" (similar: {near[:3]})" if near else "")
                             + f"; is it the RGB I3D checkpoint with scope {scope!r}?")
        value = reader.get_tensor(name)
        if value.size != int(np.prod(variable.shape)):
            raise ValueError(f"Checkpoint variable {name!r} has shape {value.shape}, but the "
                             f"model needs {tuple(variable.shape)}.")
        variable.assign(value.reshape(variable.shape).astype(np.float32))
        total += value.size
    model.save_weights(out)
    log(f"converted {total:,} values from {checkpoint} into {out}")
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vidgen_tf.metrics.i3d_convert",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="checkpoint prefix, e.g. .../rgb_imagenet/model.ckpt")
    parser.add_argument("out", help="the .weights.h5 file to write")
    parser.add_argument("--scope", default=SCOPE)
    args = parser.parse_args(argv)
    convert(args.checkpoint, args.out, args.scope)
    return 0


if __name__ == "__main__":
    sys.exit(main())

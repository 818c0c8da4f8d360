"""Building blocks for video models (``(batch, frames, height, width, channels)`` tensors).

- ``SpaceToDepth3D`` / ``DepthToSpace3D``: fold blocks of ``(t, h, w)`` values into channels
  and back, a free change of resolution.
- ``Conv2Plus1D``: a (2+1)D convolution, spatial then temporal (R(2+1)D, Tran et al. 2018).
- ``ResidualBlock3D``: GroupNorm, SiLU and two convolutions (3D or (2+1)D) with a skip.
- ``PlaceSprites``: move small images over a canvas, one position per frame
  (differentiable bilinear placement); ``BouncingPath``: positions from a start and
  bounded velocities, reflected at the frame's edges; ``StraightVelocity``: one velocity for
  all frames, as a direction and a speed.
- ``FramesToBatch`` / ``BatchToFrames``, ``RepeatFrames``, ``CropFrames``: moves along the
  frame axis; ``MaskedComposite``: a moving foreground over a still background.
- ``LabelIndex``, ``ProjectionLogit``: class conditioning (labels with -1 for "no object",
  the projection discriminator's logit).
- ``ConvLSTMCell``: one step of a ConvLSTM, its four gates from one fused convolution.
- ``Scale``, ``ReduceSum``: weightless arithmetic as named, saveable layers (instead of
  ``keras.layers.Lambda``, which does not reload under Keras' default ``safe_mode``).
"""

from vidgen_tf.layers.arithmetic import ReduceSum, Scale
from vidgen_tf.layers.conditioning import LabelIndex, ProjectionLogit
from vidgen_tf.layers.conv import Conv2Plus1D, DepthToSpace3D, ResidualBlock3D, SpaceToDepth3D
from vidgen_tf.layers.frames import (BatchToFrames, CropFrames, FramesToBatch, MaskedComposite,
                                     RepeatFrames)
from vidgen_tf.layers.recurrent import ConvLSTMCell
from vidgen_tf.layers.sprites import BouncingPath, PlaceSprites, StraightVelocity

__all__ = ["BatchToFrames", "BouncingPath", "Conv2Plus1D", "ConvLSTMCell", "CropFrames",
           "DepthToSpace3D", "FramesToBatch",
           "LabelIndex", "MaskedComposite", "PlaceSprites", "ProjectionLogit", "ReduceSum",
           "RepeatFrames", "ResidualBlock3D", "Scale", "SpaceToDepth3D",
           "StraightVelocity"]

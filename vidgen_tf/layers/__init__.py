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
- ``CausalConv3D``, ``FrameGroupNormalization``: a convolution and a norm that never look at
  later frames (a causal encoder).
- ``VectorQuantizer``: the nearest of K codebook vectors, an EMA codebook with restarts.
- ``CausalSelfAttention`` (with a key-value cache), ``TransformerBlock``,
  ``GridPositionEmbedding``: the pieces of a decoder-only transformer over a token grid.
- ``Scale``, ``ReduceSum``: weightless arithmetic as named, saveable layers (instead of
  ``keras.layers.Lambda``, which does not reload under Keras' default ``safe_mode``).
"""

from vidgen_tf.layers.arithmetic import ReduceSum, Scale
from vidgen_tf.layers.attention import CausalSelfAttention, TransformerBlock, causal_mask
from vidgen_tf.layers.conditioning import LabelIndex, ProjectionLogit
from vidgen_tf.layers.conv import (CausalConv3D, Conv2Plus1D, DepthToSpace3D,
                                   FrameGroupNormalization, ResidualBlock3D, SpaceToDepth3D)
from vidgen_tf.layers.embeddings import GridPositionEmbedding
from vidgen_tf.layers.frames import (BatchToFrames, CropFrames, FramesToBatch, MaskedComposite,
                                     RepeatFrames)
from vidgen_tf.layers.quantize import VectorQuantizer
from vidgen_tf.layers.recurrent import ConvLSTMCell
from vidgen_tf.layers.sprites import BouncingPath, PlaceSprites, StraightVelocity

__all__ = ["BatchToFrames", "BouncingPath", "CausalConv3D", "CausalSelfAttention",
           "Conv2Plus1D", "ConvLSTMCell", "CropFrames", "DepthToSpace3D",
           "FrameGroupNormalization", "FramesToBatch", "GridPositionEmbedding",
           "LabelIndex", "MaskedComposite", "PlaceSprites", "ProjectionLogit", "ReduceSum",
           "RepeatFrames", "ResidualBlock3D", "Scale", "SpaceToDepth3D",
           "StraightVelocity", "TransformerBlock", "VectorQuantizer", "causal_mask"]

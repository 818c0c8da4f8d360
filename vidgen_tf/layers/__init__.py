"""Building blocks for video models (``(batch, frames, height, width, channels)`` tensors).

- ``SpaceToDepth3D`` / ``DepthToSpace3D``: fold blocks of ``(t, h, w)`` values into channels
  and back, a free change of resolution.
- ``Conv2Plus1D``: a (2+1)D convolution, spatial then temporal (R(2+1)D, Tran et al. 2018).
- ``ResidualBlock3D``: GroupNorm, SiLU and two convolutions (3D or (2+1)D) with a skip.
- ``PlaceSprites``: move small images over a canvas, one position per frame
  (differentiable bilinear placement).
"""

from vidgen_tf.layers.conv import Conv2Plus1D, DepthToSpace3D, ResidualBlock3D, SpaceToDepth3D
from vidgen_tf.layers.sprites import PlaceSprites

__all__ = ["Conv2Plus1D", "DepthToSpace3D", "PlaceSprites", "ResidualBlock3D",
           "SpaceToDepth3D"]

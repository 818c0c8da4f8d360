"""vidgen_tf: the package behind the video-generation course.

Conventions (said once here, and again in each module that handles video): a video tensor is
``(batch, frames, height, width, channels)``; inside models it is float in ``[-1, 1]``, at
file and display boundaries it is ``uint8`` in ``[0, 255]``.

Sub-packages: ``config`` (profiles, seeding), ``data`` (datasets and pipelines), ``viz``
(inline videos, grids, plots), ``metrics`` (PSNR, SSIM, Frechet distance), ``course``
(exercise checks, release of the student edition, grading), ``bench`` (benchmarks).
Beside ``config`` at the base, below everything else: ``precision`` (dtype policies,
loss-scaled optimizers) and ``registry`` (the registries of benchmarks, recipes, exercises).
"""

import os as _os

# TensorFlow's C++ start-up chatter drowns a notebook's first cell; keep errors only,
# unless the user asked for something else.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from vidgen_tf.config import PROFILES, Profile, get_profile, seed_everything  # noqa: E402

__version__ = "0.2.0"   # the notebooks' set-up cell requires it (sync-colab writes it)

__all__ = ["PROFILES", "Profile", "get_profile", "seed_everything", "__version__"]

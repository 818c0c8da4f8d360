"""Video data: embedded synthetic datasets, real video files, and tf.data pipelines.

Videos are ``(batch, frames, height, width, channels)``: ``uint8`` in ``[0, 255]`` as they
come from datasets and files, ``float32`` in ``[-1, 1]`` once ``make_dataset`` (or
``to_float``) has prepared them for a model.

Embedded, seeded, no download: ``MovingDigits`` (digits from matplotlib's fonts),
``BouncingShapes`` (RGB shapes with captions). Real data when present: ``MovingMNIST`` and
``load_moving_mnist_test_seq``, ``VideoFolder`` (UCF-101 layout), ``BAIRRobotPushing``.
Files: ``read_video`` / ``probe_video`` through imageio-ffmpeg's bundled ffmpeg.
"""

from vidgen_tf.data.bair import BAIRRobotPushing, parse_bair_example, write_bair_tfrecord
from vidgen_tf.data.bouncing_shapes import COLOR_NAMES, SHAPES, SIZES, BouncingShapes
from vidgen_tf.data.convert import to_float, to_uint8
from vidgen_tf.data.glyphs import DIGIT_FONTS, GlyphJitter, render_digits
from vidgen_tf.data.moving_digits import MovingDigits
from vidgen_tf.data.moving_mnist import (MNISTUnavailableError, MovingMNIST, load_mnist,
                                         load_moving_mnist_test_seq)
from vidgen_tf.data.physics import (DIRECTIONS, bounce_step, bounce_trajectories,
                                    direction_index)
from vidgen_tf.data.pipeline import make_dataset
from vidgen_tf.data.synthetic import SyntheticVideos
from vidgen_tf.data.throughput import (compare_prefetch, measure_throughput, time_per_batch,
                                       waiting_batches, without_prefetch)
from vidgen_tf.data.video_folder import VideoFolder
from vidgen_tf.data.video_io import (SUPPORTED_EXTENSIONS, TruncatedVideoWarning, VideoInfo,
                                     VideoReadError, probe_video, read_video)

__all__ = [
    "BAIRRobotPushing", "BouncingShapes", "COLOR_NAMES", "DIGIT_FONTS", "DIRECTIONS",
    "GlyphJitter", "MNISTUnavailableError", "MovingDigits", "MovingMNIST", "SHAPES", "SIZES",
    "SUPPORTED_EXTENSIONS", "SyntheticVideos", "TruncatedVideoWarning", "VideoFolder",
    "VideoInfo", "VideoReadError",
    "bounce_step", "bounce_trajectories", "direction_index", "load_mnist",
    "compare_prefetch", "load_moving_mnist_test_seq", "make_dataset", "measure_throughput",
    "parse_bair_example", "probe_video", "read_video", "render_digits", "time_per_batch",
    "to_float", "to_uint8", "waiting_batches", "without_prefetch", "write_bair_tfrecord",
]

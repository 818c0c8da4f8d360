"""Display helpers: inline videos, grids of clips, saving files, filmstrips, training curves,
the package's own source shown in a lesson.

Clips are ``(frames, height, width[, channels])`` and batches ``(batch, frames, height, width,
channels)``, uint8 in ``[0, 255]`` or float in ``[-1, 1]``.
"""

from vidgen_tf.viz.plots import plot_frames, plot_history
from vidgen_tf.viz.source import show_source, source_markdown
from vidgen_tf.viz.video import (encode_gif, encode_mp4, save_video, show_video, show_videos,
                                 video_grid, video_html)

__all__ = ["encode_gif", "encode_mp4", "plot_frames", "plot_history", "save_video",
           "show_source", "show_video", "show_videos", "source_markdown", "video_grid",
           "video_html"]

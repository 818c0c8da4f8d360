"""Display helpers: inline videos, grids of clips, filmstrips, saving files, training curves,
the package's own source shown in a lesson.

Clips are ``(frames, height, width[, channels])`` and batches ``(batch, frames, height, width,
channels)``, uint8 in ``[0, 255]`` or float in ``[-1, 1]``. Inline videos are animated GIFs
enlarged in their pixels to at least 128 pixels a clip (see ``vidgen_tf.viz.video``).
"""

from vidgen_tf.viz.plots import plot_frames, plot_history
from vidgen_tf.viz.source import show_source, source_markdown
from vidgen_tf.viz.video import (encode_gif, encode_mp4, encode_png, filmstrip, grid_frames,
                                 grid_html, save_video, scale_factor, show_filmstrip, show_grid,
                                 show_video, show_videos, upsample, video_grid, video_html)

__all__ = ["encode_gif", "encode_mp4", "encode_png", "filmstrip", "grid_frames", "grid_html",
           "plot_frames", "plot_history", "save_video", "scale_factor", "show_filmstrip",
           "show_grid", "show_source", "show_video", "show_videos", "source_markdown",
           "upsample", "video_grid", "video_html"]

"""Showing and saving videos: inline GIFs in notebooks, grids of clips, files through ffmpeg.

Every function takes one clip ``(frames, height, width[, channels])`` (or a batch where it
says so), as ``uint8`` in ``[0, 255]`` or float in ``[-1, 1]`` (the model convention), as a
NumPy array or a tensor; channels 1 (grey) or 3 (RGB).

Inline videos are small animated GIFs embedded in HTML, scaled up in the browser with
``image-rendering: pixelated`` (the file stays 64x64): they play in JupyterLab, VS Code and
Colab alike and keep notebooks light. MP4 (H.264) is available with ``format="mp4"``.

Introduced in lesson 00.
"""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile

import numpy as np

from vidgen_tf.data.convert import to_uint8


def as_frames(video) -> np.ndarray:
    """A clip as ``uint8 (T, H, W, C)`` with ``C`` 1 or 3.

    Raises:
        ValueError: the array is not one clip of 1 or 3 channels.
    """
    video = to_uint8(np.asarray(video))
    if video.ndim == 3:
        video = video[..., None]
    if video.ndim != 4 or video.shape[-1] not in (1, 3):
        raise ValueError(
            f"Expected one clip (frames, height, width[, channels]) with 1 or 3 channels, got "
            f"shape {video.shape}. For a batch (N, T, H, W, C), use show_videos or video_grid.")
    return video


def as_clips(videos) -> np.ndarray:
    """A batch as ``uint8 (N, T, H, W, C)``."""
    videos = to_uint8(np.asarray(videos))
    if videos.ndim == 4 and videos.shape[-1] not in (1, 3):
        videos = videos[..., None]
    if videos.ndim != 5 or videos.shape[-1] not in (1, 3):
        raise ValueError(f"Expected a batch of clips (N, T, H, W, C) with 1 or 3 channels, got "
                         f"shape {videos.shape}.")
    return videos


def encode_gif(video, fps=8) -> bytes:
    """An animated, looping GIF of a clip (one 256-colour palette shared by all frames)."""
    from PIL import Image

    frames = as_frames(video)
    # GIF delays are whole centiseconds, and browsers slow delays under 2 cs down to 10 cs
    duration = 10 * max(2, int(round(100 / fps)))
    if frames.shape[-1] == 1:
        images = [Image.fromarray(f[..., 0]) for f in frames]          # mode "L"
    else:
        # One palette for the whole clip, so that colours do not flicker between frames.
        stacked = Image.fromarray(np.concatenate(list(frames), axis=0))
        palette = stacked.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
                  for f in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration, loop=0, optimize=False, disposal=1)
    return buffer.getvalue()


def encode_mp4(video, fps=8) -> bytes:
    """An H.264 MP4 of a clip (through ``save_video``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "clip.mp4")
        save_video(path, video, fps=fps)
        with open(path, "rb") as f:
            return f.read()


def video_html(video, fps=8, width=None, format="gif", caption=None) -> str:
    """HTML that plays a clip inline.

    Args:
        video: one clip (see module docstring).
        fps: float. Frames per second.
        width: int or None. Display width in CSS pixels; None doubles small clips (up to 256).
        format: ``"gif"`` (plays everywhere) or ``"mp4"``.
        caption: str or None. Text under the clip.

    Returns:
        str of HTML.
    """
    frames = as_frames(video)
    if width is None:
        width = min(2 * frames.shape[2], max(frames.shape[2], 256))
    if format == "gif":
        data = base64.b64encode(encode_gif(frames, fps)).decode("ascii")
        media = (f'<img src="data:image/gif;base64,{data}" width="{width}" '
                 f'style="image-rendering: pixelated; image-rendering: crisp-edges;">')
    elif format == "mp4":
        data = base64.b64encode(encode_mp4(frames, fps)).decode("ascii")
        media = (f'<video width="{width}" autoplay loop muted playsinline '
                 f'style="image-rendering: pixelated;">'
                 f'<source src="data:video/mp4;base64,{data}" type="video/mp4"></video>')
    else:
        raise ValueError(f"format must be 'gif' or 'mp4', got {format!r}.")
    text = (f'<figcaption style="font-size: 11px; max-width: {width}px;">'
            f'{html.escape(str(caption))}</figcaption>' if caption is not None else "")
    return (f'<figure style="display: inline-block; margin: 2px 4px; text-align: center;">'
            f'{media}{text}</figure>')


def _display(markup):
    from IPython.display import HTML, display

    display(HTML(markup))


def show_video(video, fps=8, width=None, format="gif", caption=None):
    """Play one clip inline in a notebook (JupyterLab, VS Code, Colab).

    Args:
        video: ``(T, H, W[, C])`` uint8 or float in ``[-1, 1]``.
        fps, width, format, caption: see ``video_html``.

    Example:

        show_video(MovingDigits()[0]["video"], caption="a moving digit")
    """
    _display(video_html(video, fps=fps, width=width, format=format, caption=caption))


def show_videos(videos, captions=None, fps=8, width=None, format="gif"):
    """Play several clips side by side, each with an optional caption.

    Args:
        videos: ``(N, T, H, W[, C])`` or a list of clips.
        captions: list of N str or None.
        fps, width, format: see ``video_html``.
    """
    clips = list(videos) if isinstance(videos, (list, tuple)) else list(as_clips(videos))
    if captions is not None and len(captions) != len(clips):
        raise ValueError(f"show_videos: {len(clips)} clips but {len(captions)} captions.")
    captions = [None] * len(clips) if captions is None else list(captions)
    _display("<div>" + "".join(video_html(c, fps=fps, width=width, format=format, caption=t)
                               for c, t in zip(clips, captions)) + "</div>")


def video_grid(videos, columns=None, padding=1, pad_value=128):
    """Tile a batch of clips into one clip.

    Args:
        videos: ``(N, T, H, W, C)``, uint8 or float in ``[-1, 1]``.
        columns: int or None. Clips per row; None makes the grid about square.
        padding: int. Pixels between clips.
        pad_value: int. Grey level (0-255) of the padding.

    Returns:
        uint8 ``(T, rows * (H + padding) - padding, columns * (W + padding) - padding, C)``.
    """
    clips = as_clips(videos)
    n, t, h, w, c = clips.shape
    columns = int(np.ceil(np.sqrt(n))) if columns is None else max(1, int(columns))
    rows = int(np.ceil(n / columns))
    grid = np.full((t, rows * (h + padding) - padding, columns * (w + padding) - padding, c),
                   pad_value, dtype=np.uint8)
    for i in range(n):
        y, x = (i // columns) * (h + padding), (i % columns) * (w + padding)
        grid[:, y:y + h, x:x + w] = clips[i]
    return grid


_CODECS = {".mp4": "libx264", ".m4v": "libx264", ".mov": "libx264", ".webm": "libvpx",
           ".avi": "png", ".mkv": "libx264"}


def save_video(path, video, fps=8):
    """Write a clip to a file, every frame of it (mp4, m4v, mov, mkv, webm, avi or gif).

    Args:
        path: str. The file; its extension chooses the format. Folders are created.
        video: one clip ``(T, H, W[, C])``, uint8 or float in ``[-1, 1]``.
        fps: float. Frames per second.

    Returns:
        str: the path written.

    Notes:
        The file holds exactly ``T`` frames at any ``fps`` (a test reads them back): frames
        go straight to the ffmpeg of imageio-ffmpeg, and a GIF is ``encode_gif``'s. (Writing
        through moviepy 2 lost the last frame whenever ``T / fps * fps`` rounded below
        ``T``: 24 frames at 12 fps became 23, so a seamless loop skipped.)
        H.264 needs even sizes: an odd height or width is padded by repeating the last
        row or column.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext != ".gif" and ext not in _CODECS:
        raise ValueError(f"save_video: unsupported extension {ext!r} in {path!r}; use .gif or "
                         f"one of {', '.join(_CODECS)}.")
    if not fps > 0:
        raise ValueError(f"save_video: fps must be a positive number, got {fps!r}.")
    frames = as_frames(video)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    if ext == ".gif":
        with open(path, "wb") as f:
            f.write(encode_gif(frames, fps))
        return path
    import imageio_ffmpeg

    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    codec = _CODECS[ext]
    if codec == "libx264":
        pad_h, pad_w = frames.shape[1] % 2, frames.shape[2] % 2
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    height, width = frames.shape[1:3]
    quality = {"png": {"quality": None},                        # lossless
               "libvpx": {"quality": None, "output_params": ["-crf", "10", "-b:v", "2M"]},
               "libx264": {"quality": 8}}[codec]
    writer = imageio_ffmpeg.write_frames(
        path, (width, height), fps=fps, codec=codec, macro_block_size=1,
        pix_fmt_out="rgb24" if codec == "png" else "yuv420p", ffmpeg_log_level="error",
        **quality)
    writer.send(None)                                  # start ffmpeg
    try:
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()
    return path

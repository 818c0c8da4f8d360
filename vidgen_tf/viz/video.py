"""Showing and saving videos: inline GIFs in notebooks, grids of clips, filmstrips, files.

Every function takes one clip ``(frames, height, width[, channels])`` (or a batch
``(batch, frames, height, width, channels)`` where it says so), as ``uint8`` in ``[0, 255]``
or float in ``[-1, 1]`` (the model convention), as a NumPy array or a tensor; channels 1
(grey) or 3 (RGB).

Inline videos are animated GIFs in an ``<img>`` tag, the one form that plays in every place a
student opens a notebook: JupyterLab for a notebook its reader has not run (untrusted: its HTML
is sanitized), GitHub's notebook view, VS Code and Colab. The sanitizers strip the source of a
``<video>`` (an inline MP4 shows blank) and may strip ``style`` attributes, so nothing here
relies on CSS: a clip is enlarged in its pixels (nearest neighbour, by a whole factor) until it
is at least ``clip_size`` (128) pixels high and wide, and a batch is shown as one grid GIF
(``show_grid``) with each clip at that size and its caption drawn under it. A filmstrip (the
frames of a few clips side by side, a PNG) shows what a GIF cannot: every frame at once. MP4
is for files (``save_video``), linked from a notebook rather than embedded.

Inline GIFs use 16 grey levels (or a 64-colour palette for RGB; ``colors=256`` keeps every
grey level, as files do): a 4x4 grid of 16-frame 32x32 clips shown at 128 pixels a clip is
about 120 KB, against 130 KB with 32 levels and 220-260 KB with 256, and GIF compresses noise
so badly that a grid of noisy samples costs twice as much with 32 levels as with 16. Sixteen
levels differ from the clip by at most 8 of 255, which the eye does not see.

Introduced in lesson 00.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import math
import os
import tempfile

import numpy as np

from vidgen_tf.data.convert import to_uint8

# Colours of an inline GIF when ``colors`` is None: grey levels for grey clips, palette
# entries for RGB ones.
INLINE_GREY_LEVELS = 16
INLINE_RGB_COLORS = 64


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
            f"shape {video.shape}. For a batch (N, T, H, W, C), use show_grid, show_videos or "
            f"video_grid.")
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


def _check_positive_int(where, name, value, low=1, high=None):
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low
    if not ok or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{where}: {name} must be a whole number {span}, got {value!r}.")
    return int(value)


def _check_fps(where, fps):
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) \
            or not fps > 0:
        raise ValueError(f"{where}: fps must be a positive number, got {fps!r}.")
    return fps


def scale_factor(height, width, clip_size=128) -> int:
    """The whole factor that enlarges a ``height x width`` picture to at least ``clip_size``
    pixels on both sides (1 if it is that large already).

    Example:

        scale_factor(32, 32)     # 4: shown at 128x128
        scale_factor(16, 20)     # 8: shown at 128x160
    """
    clip_size = _check_positive_int("scale_factor", "clip_size", clip_size)
    return max(1, math.ceil(clip_size / max(1, min(int(height), int(width)))))


def upsample(videos, clip_size=128) -> np.ndarray:
    """Enlarge clips in their pixels, nearest neighbour, by a whole factor, until each is at
    least ``clip_size`` pixels high and wide.

    Each pixel becomes a ``k x k`` block (``np.repeat``), so a picture stays sharp whatever
    the viewer does (no CSS, no browser smoothing).

    Args:
        videos: one clip ``(T, H, W[, C])``, a batch ``(N, T, H, W, C)`` or a picture
            ``(H, W, C)``; uint8 or float in ``[-1, 1]``. Height and width are the axes -3
            and -2 (a 3-D array is taken as a grey clip ``(T, H, W)``).
        clip_size: int. Smallest height and width wanted, in pixels.

    Returns:
        uint8, the same shape with ``H * k`` and ``W * k``, where
        ``k = scale_factor(H, W, clip_size)``.
    """
    array = to_uint8(np.asarray(videos))
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim not in (4, 5) or array.shape[-1] not in (1, 3):
        raise ValueError(f"upsample: expected a clip (T, H, W[, C]) or a batch (N, T, H, W, C) "
                         f"with 1 or 3 channels, got shape {array.shape}.")
    k = scale_factor(array.shape[-3], array.shape[-2], clip_size)
    if k == 1:
        return array
    return np.repeat(np.repeat(array, k, axis=-3), k, axis=-2)


def _grey_lut(levels):
    """Map of the 256 grey values to ``levels`` evenly spaced ones (0 and 255 kept)."""
    values = np.arange(256) / 255 * (levels - 1)
    return np.round(np.round(values) * 255 / (levels - 1)).astype(np.uint8)


def _inline_colors(colors, channels):
    if colors is None:
        return INLINE_GREY_LEVELS if channels == 1 else INLINE_RGB_COLORS
    return colors


def encode_gif(video, fps=8, colors=256) -> bytes:
    """An animated, looping GIF of a clip, every frame of it.

    Args:
        video: one clip ``(T, H, W[, C])``, uint8 or float in ``[-1, 1]``.
        fps: float. Frames per second. GIF delays are whole centiseconds, so each frame
            lasts ``round(100 / fps)`` cs (at least 2: browsers slow shorter delays down).
        colors: int, 2 to 256. A grey clip keeps ``colors`` evenly spaced grey levels (0 and
            255 among them; 256 keeps it exact); an RGB clip gets one palette of ``colors``
            colours shared by all frames (so that colours do not flicker).

    Returns:
        bytes of a GIF that plays the ``T`` frames in order and loops. Each frame is stored
        once, except that a frame equal to the one before is stored as a longer delay (the
        total duration is always ``T`` delays); unchanged pixels of a frame are stored as
        transparent, which keeps still backgrounds small.
    """
    from PIL import Image

    colors = _check_positive_int("encode_gif", "colors", colors, 2, 256)
    fps = _check_fps("encode_gif", fps)
    frames = as_frames(video)
    duration = 10 * max(2, int(round(100 / fps)))
    if frames.shape[-1] == 1:
        grey = frames[..., 0] if colors == 256 else _grey_lut(colors)[frames[..., 0]]
        images = [Image.fromarray(f) for f in grey]                    # mode "L"
    else:
        stacked = Image.fromarray(np.concatenate(list(frames), axis=0))
        palette = stacked.quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
        images = [Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE)
                  for f in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration, loop=0, optimize=True, disposal=1)
    return buffer.getvalue()


def encode_png(image) -> bytes:
    """A PNG of a picture ``(H, W[, C])``, C 1 or 3, uint8 or float in ``[-1, 1]``."""
    from PIL import Image

    image = to_uint8(np.asarray(image))
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ValueError(f"encode_png: expected a picture (H, W) or (H, W, 1 or 3), got shape "
                         f"{image.shape}.")
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def encode_mp4(video, fps=8) -> bytes:
    """An H.264 MP4 of a clip (through ``save_video``), for files and downloads: an MP4
    embedded in a notebook shows blank where the notebook is sanitized."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "clip.mp4")
        save_video(path, video, fps=fps)
        with open(path, "rb") as f:
            return f.read()


def _check_inline_format(where, format):
    if format == "gif":
        return
    if format == "mp4":
        raise ValueError(
            f"{where}: format='mp4' cannot be shown inline. Notebook sanitizers (JupyterLab for "
            f"a notebook its reader has not run, GitHub's notebook view) strip the source of a "
            f"<video>, so the clip shows blank. Inline clips are animated GIFs (format='gif', "
            f"the default). For an MP4, write a file and link it: "
            f"path = save_video('clip.mp4', video); IPython.display.FileLink(path).")
    raise ValueError(f"{where}: format must be 'gif' (the inline form that plays everywhere), "
                     f"got {format!r}.")


# -- text drawn into pictures --------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _font(size):
    from PIL import ImageFont

    try:
        from vidgen_tf.data.glyphs import font_path

        return ImageFont.truetype(font_path("DejaVuSans.ttf"), size)
    except (OSError, ImportError):                       # no FreeType or no font file
        return ImageFont.load_default()


def _font_size(width):
    """Pixels of a label's font for a cell ``width`` pixels wide (12 at 128)."""
    return int(np.clip(width // 10, 10, 16))


def _wrap(text, font, width, max_lines):
    """``text`` broken into at most ``max_lines`` lines no wider than ``width`` pixels (the
    last one cut with an ellipsis when the text does not fit)."""
    def fits(s):
        return font.getlength(s) <= width

    lines, words = [], str(text).split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        if not fits(line) and len(line) > 1:                    # a word wider than the cell
            cut = len(line) - 1
            while cut > 1 and not fits(line[:cut]):
                cut -= 1
            words.insert(0, line[cut:])
            line = line[:cut]
        while words and fits(line + " " + words[0]):
            line += " " + words.pop(0)
        lines.append(line)
    if words:
        last = lines[-1]
        while last and not fits(last + "\u2026"):
            last = last[:-1]
        lines[-1] = last + "\u2026"
    return lines


def _label_lines(texts, width, max_lines):
    font = _font(_font_size(width))
    return font, [_wrap(t, font, width - 4, max_lines) if t is not None else [] for t in texts]


def _line_height(font):
    ascent, descent = font.getmetrics()
    return ascent + descent + 1


def _draw_lines(lines, font, width, height, align="center", ink=0, paper=255):
    """A ``(height, width)`` uint8 picture with ``lines`` written in it (black on white)."""
    from PIL import Image, ImageDraw

    picture = Image.new("L", (width, height), paper)
    draw = ImageDraw.Draw(picture)
    step = _line_height(font)
    for i, line in enumerate(lines):
        x = (width - font.getlength(line)) / 2 if align == "center" else 2
        draw.text((x, 2 + i * step), line, font=font, fill=ink)
    return np.asarray(picture)


# -- inline display ---------------------------------------------------------------------------

def _img_tag(data, mime, width, height, alt=None):
    text = f' alt="{html.escape(str(alt), quote=True)}"' if alt else ""
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<img src="data:{mime};base64,{encoded}" width="{width}" height="{height}"{text}>')


def _figure(media, caption=None, width=None):
    text = ""
    if caption is not None:
        limit = f" max-width: {width}px;" if width else ""
        text = (f'<figcaption style="font-size: 12px;{limit}">{html.escape(str(caption))}'
                f'</figcaption>')
    return (f'<figure style="display: inline-block; margin: 2px 6px; text-align: center; '
            f'vertical-align: top;">{media}{text}</figure>')


def video_html(video, fps=8, clip_size=128, format="gif", caption=None, colors=None) -> str:
    """HTML that plays a clip inline: an ``<img>`` of an animated GIF, at least
    ``clip_size`` pixels high and wide in its own pixels.

    Args:
        video: one clip ``(T, H, W[, C])``, uint8 or float in ``[-1, 1]``.
        fps: float. Frames per second.
        clip_size: int. The clip is enlarged (nearest neighbour, whole factor, see
            ``upsample``) to at least this many pixels high and wide.
        format: ``"gif"``, the only inline form (``"mp4"`` raises: sanitizers strip it; use
            ``save_video`` and a file link).
        caption: str or None. Text under the clip.
        colors: int or None. See ``encode_gif``; None uses 16 grey levels or 64 colours.

    Returns:
        str of HTML: a ``<figure>`` holding the ``<img>`` (``width`` and ``height`` set to the
        GIF's own size) and the caption.
    """
    _check_inline_format("video_html", format)
    frames = upsample(as_frames(video), clip_size)
    gif = encode_gif(frames, fps, colors=_inline_colors(colors, frames.shape[-1]))
    height, width = frames.shape[1:3]
    return _figure(_img_tag(gif, "image/gif", width, height, alt=caption), caption, width)


def _display(markup):
    from IPython.display import HTML, display

    display(HTML(markup))


def show_video(video, fps=8, clip_size=128, format="gif", caption=None, colors=None):
    """Play one clip inline in a notebook (JupyterLab, GitHub, VS Code, Colab), at least
    ``clip_size`` pixels high and wide.

    Args:
        video: ``(T, H, W[, C])`` uint8 or float in ``[-1, 1]``. For a batch, ``show_grid``.
        fps, clip_size, format, caption, colors: see ``video_html``.

    Example:

        show_video(MovingDigits()[0]["video"], caption="a moving digit")
    """
    _display(video_html(video, fps=fps, clip_size=clip_size, format=format, caption=caption,
                        colors=colors))


def show_videos(videos, captions=None, fps=8, clip_size=128, format="gif", colors=None):
    """Play several clips side by side, one GIF each, each with an optional caption.

    Args:
        videos: ``(N, T, H, W[, C])`` or a list of clips (of any sizes).
        captions: list of N str or None.
        fps, clip_size, format, colors: see ``video_html``.
    """
    _check_inline_format("show_videos", format)
    clips = list(videos) if isinstance(videos, (list, tuple)) else list(as_clips(videos))
    if captions is not None and len(captions) != len(clips):
        raise ValueError(f"show_videos: {len(clips)} clips but {len(captions)} captions.")
    captions = [None] * len(clips) if captions is None else list(captions)
    _display("<div>" + "".join(video_html(c, fps=fps, clip_size=clip_size, caption=t,
                                          colors=colors)
                               for c, t in zip(clips, captions)) + "</div>")


def video_grid(videos, columns=None, padding=1, pad_value=128):
    """Tile a batch of clips into one clip, at the clips' own size (for files; to show a
    batch in a notebook, ``show_grid``).

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


def _check_captions(where, captions, count, what="clips"):
    if captions is None:
        return [None] * count
    captions = list(captions)
    if len(captions) != count:
        raise ValueError(f"{where}: {count} {what} but {len(captions)} captions; give one "
                         f"caption per {what[:-1]} (None for none).")
    return captions


def grid_frames(videos, columns=None, captions=None, clip_size=128, padding=4, max_lines=2):
    """A batch of clips tiled into one clip at display size: each clip enlarged (nearest
    neighbour) to at least ``clip_size`` pixels, its caption written under it.

    Args:
        videos: ``(N, T, H, W, C)``, uint8 or float in ``[-1, 1]``.
        columns: int or None. Clips per row; None makes the grid about square.
        captions: list of N str (or None entries) or None. Written under each clip, in up to
            ``max_lines`` lines (longer ones end with an ellipsis).
        clip_size: int. Smallest height and width of each clip, in pixels.
        padding: int. White pixels between cells.
        max_lines: int. Lines of caption per cell.

    Returns:
        uint8 ``(T, rows * (h + b + padding) - padding, columns * (w + padding) - padding, C)``
        with ``h, w = k * H, k * W`` (``k = scale_factor(H, W, clip_size)``) and ``b`` the
        height of the caption band (0 without captions). The clip of cell ``i`` is at rows
        ``(i // columns) * (h + b + padding)`` onwards and columns ``(i % columns) *
        (w + padding)`` onwards.
    """
    clips = as_clips(videos)
    n, t = clips.shape[:2]
    if n == 0:
        raise ValueError("grid_frames: videos holds no clip (shape "
                         f"{clips.shape}); give at least one.")
    columns = int(np.ceil(np.sqrt(n))) if columns is None else _check_positive_int(
        "grid_frames", "columns", columns)
    columns = min(columns, n)
    padding = _check_positive_int("grid_frames", "padding", padding, low=0)
    captions = _check_captions("grid_frames", captions, n)
    clips = upsample(clips, clip_size)
    w, c = clips.shape[3:]
    if any(text is not None for text in captions):       # each cell: the clip over its caption
        font, lines = _label_lines(captions, w, _check_positive_int(
            "grid_frames", "max_lines", max_lines))
        band = max(len(x) for x in lines) * _line_height(font) + 4
        labels = np.stack([_draw_lines(x, font, w, band) for x in lines])    # (N, band, w)
        bands = np.broadcast_to(labels[:, None, :, :, None], (n, t, band, w, c))
        clips = np.concatenate([clips, bands], axis=2)
    return video_grid(clips, columns=columns, padding=padding, pad_value=255)


def filmstrip(videos, num_frames=None, frame_size=64, captions=None, padding=2,
              frame_labels=True):
    """The frames of clips side by side, one row per clip, as one picture.

    Args:
        videos: one clip ``(T, H, W[, C])`` or a batch ``(N, T, H, W, C)``, uint8 or float in
            ``[-1, 1]``.
        num_frames: int or None. That many frames evenly spaced over the clip (first and
            last included); None shows every frame of a clip of up to 8, else 8.
        frame_size: int. Each frame is enlarged (nearest neighbour, whole factor) to at least
            this many pixels high and wide.
        captions: list of N str (or None entries) or None. One line above each row.
        padding: int. White pixels between frames and rows.
        frame_labels: bool. Write the frame index (``t=3``) above each column.

    Returns:
        ``(picture, index)``: uint8 ``(height, width, C)`` and the int array of the frames
        shown. Row ``r``'s frame ``j`` is at columns ``j * (w + padding)`` onwards, where
        ``w = k * W``.
    """
    array = np.asarray(videos)
    single = array.ndim == 3 or (array.ndim == 4 and array.shape[-1] in (1, 3))
    clips = as_clips(array[None] if single else array)
    n, t = clips.shape[:2]
    captions = _check_captions("filmstrip", captions, n)
    if num_frames is None:
        num_frames = min(t, 8)
    num_frames = _check_positive_int("filmstrip", "num_frames", num_frames)
    index = np.unique(np.linspace(0, t - 1, min(num_frames, t)).round().astype(int))
    padding = _check_positive_int("filmstrip", "padding", padding, low=0)
    frames = upsample(clips[:, index], frame_size)
    h, w, c = frames.shape[2:]
    width = len(index) * (w + padding) - padding
    font = _font(_font_size(max(w, 96)))
    line = _line_height(font) + 4
    parts = []
    if frame_labels:
        header = np.full((line, width), 255, np.uint8)
        for j, f in enumerate(index):
            header[:, j * (w + padding):j * (w + padding) + w] = _draw_lines(
                [f"t={f}"], font, w, line)
        parts.append(header[..., None])
    for r in range(n):
        if captions[r] is not None:
            text = _wrap(captions[r], font, width - 4, 1)
            parts.append(_draw_lines(text, font, width, line, align="left")[..., None])
        row = np.full((h, width, c), 255, np.uint8)
        for j in range(len(index)):
            row[:, j * (w + padding):j * (w + padding) + w] = frames[r, j]
        parts.append(row)
        if r < n - 1 and padding:
            parts.append(np.full((padding, width, 1), 255, np.uint8))
    parts = [np.repeat(p, c, axis=-1) if p.shape[-1] != c else p for p in parts]
    return np.concatenate(parts, axis=0), index


def grid_html(videos, columns=None, captions=None, clip_size=128, fps=8, title=None,
              filmstrip_rows=0, num_frames=None, colors=None) -> str:
    """HTML of a batch of clips as ONE grid GIF, each clip at least ``clip_size`` pixels with
    its caption under it, optionally with a filmstrip of the first clips beside it.

    Args:
        videos: ``(N, T, H, W, C)``, uint8 or float in ``[-1, 1]``.
        columns, captions, clip_size: see ``grid_frames``.
        fps: float. Frames per second.
        title: str or None. Text under the grid.
        filmstrip_rows: int. With ``k > 0``, a PNG filmstrip of the first ``k`` clips (their
            frames side by side, with their captions) stands beside the grid.
        num_frames: int or None. Frames in the filmstrip (see ``filmstrip``).
        colors: int or None. See ``encode_gif``; None uses 16 grey levels or 64 colours.

    Returns:
        str of HTML: ``<img>`` tags of a GIF (and a PNG) with ``width`` and ``height`` set to
        their own size; captions are also the GIF's ``alt`` text.
    """
    grid = grid_frames(videos, columns=columns, captions=captions, clip_size=clip_size)
    gif = encode_gif(grid, fps, colors=_inline_colors(colors, grid.shape[-1]))
    alt = "; ".join(str(x) for x in captions if x is not None) if captions is not None else None
    markup = _figure(_img_tag(gif, "image/gif", grid.shape[2], grid.shape[1], alt=alt or title),
                     title, grid.shape[2])
    filmstrip_rows = _check_positive_int("grid_html", "filmstrip_rows", filmstrip_rows, low=0)
    if filmstrip_rows:
        clips = as_clips(videos)[:filmstrip_rows]
        rows = None if captions is None else list(captions)[:filmstrip_rows]
        picture, _ = filmstrip(clips, num_frames=num_frames, captions=rows)
        png = encode_png(picture)
        markup += _figure(_img_tag(png, "image/png", picture.shape[1], picture.shape[0],
                                   alt=f"frames of the first {len(clips)} clips"),
                          f"frames of the first {len(clips)} clips", picture.shape[1])
    return f"<div>{markup}</div>"


def show_grid(videos, columns=None, captions=None, clip_size=128, fps=8, title=None,
              filmstrip_rows=0, num_frames=None, colors=None):
    """Play a batch of clips inline as one grid GIF, each clip at least ``clip_size``
    pixels high and wide with its caption under it (what was asked: the digit, the label).

    Args:
        videos: ``(N, T, H, W, C)``, uint8 or float in ``[-1, 1]``.
        columns: int or None. Clips per row; None makes the grid about square (keep rows to
            about 6 clips, 800 pixels, to fit a notebook's width).
        captions: list of N str or None.
        clip_size, fps, title, filmstrip_rows, num_frames, colors: see ``grid_html``.

    Example:

        show_grid(samples, captions=[f"asked {d}" for d in digits], filmstrip_rows=3)

    Size: a 4x4 grid of 16-frame 32x32 moving digits shown at 128 pixels is about 120 KB of
    GIF (160 KB in the notebook, as base64), a 3x3 grid about 70 KB; noisy samples cost more
    (GIF compresses noise badly), so show 9 to 16 clips, not 64.
    """
    _display(grid_html(videos, columns=columns, captions=captions, clip_size=clip_size,
                       fps=fps, title=title, filmstrip_rows=filmstrip_rows,
                       num_frames=num_frames, colors=colors))


def show_filmstrip(videos, num_frames=None, frame_size=64, captions=None, frame_labels=True):
    """Show the frames of clips side by side (one row per clip) as a PNG (``image/png``).

    Args and layout: see ``filmstrip``.

    Example:

        show_filmstrip(samples[:3], captions=["asked 3", "asked 7", "asked 1"])
    """
    from IPython.display import Image, display

    picture, _ = filmstrip(videos, num_frames=num_frames, frame_size=frame_size,
                           captions=captions, frame_labels=frame_labels)
    display(Image(data=encode_png(picture), format="png"))


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

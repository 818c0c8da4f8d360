"""Reading real video files through the ffmpeg that ships with imageio-ffmpeg.

No system ffmpeg and no tensorflow-io are needed (tensorflow-io is abandoned and its ffmpeg
ops do not load with current TensorFlow; see the README). Frames come out as ``uint8 (frames,
height, width, 3)`` RGB.

Introduced in lesson 00.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import warnings

import numpy as np

SUPPORTED_EXTENSIONS = (".mp4", ".avi", ".webm", ".gif", ".mov", ".mkv", ".m4v", ".mpg",
                        ".mpeg")


class VideoReadError(IOError):
    """A video file could not be read. ``path`` and ``reason`` say which and why."""

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot read video {self.path!r}: {reason}")


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What ffmpeg says of a video file before decoding it.

    Attributes:
        path: str.
        width, height: int. Frame size in pixels.
        fps: float. Frames per second (0 if unknown).
        duration: float. Seconds (0 if unknown).
        num_frames: int. ``round(fps * duration)``, an estimate (0 if unknown).
    """

    path: str
    width: int
    height: int
    fps: float
    duration: float

    @property
    def num_frames(self) -> int:
        return int(round(self.fps * self.duration))


def check_video_path(path, owner="read_video") -> str:
    """Return ``path`` as a str if it names a non-empty file with a supported extension.

    Args:
        path: str, bytes or path-like.
        owner: str. The function named in a type error.

    Raises:
        TypeError: ``path`` is not a str, bytes or path-like (None, a number...).
        FileNotFoundError: missing file (a subclass of ``OSError``).
        VideoReadError: empty file, a folder, or an unsupported extension.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{owner}: expected path to be a str or path-like naming a video "
                        f"file (such as 'clips/walk.mp4'), got {_given('path', path)}.")
    path = os.fsdecode(os.fspath(path))
    if not os.path.exists(path):
        raise FileNotFoundError(f"Video file {path!r} does not exist.")
    if not os.path.isfile(path):
        raise VideoReadError(path, "it is a folder, not a file")
    ext = os.path.splitext(path)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise VideoReadError(
            path, f"unsupported extension {ext or '(none)'!r}; supported are "
                  f"{', '.join(SUPPORTED_EXTENSIONS)}")
    if os.path.getsize(path) == 0:
        raise VideoReadError(path, "the file is empty (0 bytes)")
    return path


def _ffmpeg_reason(error) -> str:
    """The informative line of an ffmpeg failure (its stderr is long)."""
    text = str(error)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for key in ("Invalid data", "could not find codec", "Error", "error", "moov atom",
                "End of file", "Could not"):
        for line in reversed(lines):
            if key in line and not line.startswith("==="):
                return f"ffmpeg could not decode it ({line})"
    return f"ffmpeg could not decode it ({lines[-1] if lines else text})"


class _QuietResizeNotice(logging.Filter):
    """imageio-ffmpeg warns whenever the output size differs from the file's: we ask it to."""

    def filter(self, record):
        return not record.getMessage().startswith("The frame size for reading")


logging.getLogger("imageio_ffmpeg").addFilter(_QuietResizeNotice())


@functools.lru_cache(maxsize=None)
def _passthrough():
    """ffmpeg's option for "output every decoded frame once": ``-fps_mode`` since ffmpeg 5.1,
    ``-vsync`` before (and removed in ffmpeg 8); imageio-ffmpeg bundles either."""
    import re

    import imageio_ffmpeg

    found = re.search(r"(\d+)\.(\d+)", imageio_ffmpeg.get_ffmpeg_version() or "")
    version = (int(found.group(1)), int(found.group(2))) if found else (99, 0)
    return ("-fps_mode" if version >= (5, 1) else "-vsync", "passthrough")


def _frames(path, size=None):
    """Generator: first the imageio-ffmpeg metadata dict, then raw RGB frames as bytes."""
    import imageio_ffmpeg

    # every decoded frame once: by default ffmpeg resamples to a constant rate, which repeats
    # frames of a GIF whose delay is not a whole number of its time base (16 frames at 7.5
    # fps came back as 48)
    output = list(_passthrough())
    if size:
        output += ["-vf", f"scale={size[1]}:{size[0]}:flags=area"]
    reader = imageio_ffmpeg.read_frames(path, pix_fmt="rgb24", output_params=output)
    if not os.fspath(path).lower().endswith(".gif"):
        return reader
    return _expand_gif(reader, _gif_repeats(path))


def _gif_repeats(path):
    """How many frame periods each frame of a GIF lasts (its delay over the shortest delay).

    A GIF encoder stores a frame identical to the one before as a longer delay of that frame
    (Pillow does), so a clip with a still moment has fewer frames in the file than it shows;
    repeating each by its delay gives back the frames as they play. Empty when the delays
    cannot be read (a file cut short: its first frames still count once each).
    """
    from PIL import Image

    delays = []
    try:
        with Image.open(path) as image:
            while True:
                delays.append(int(image.info.get("duration") or 0))
                image.seek(image.tell() + 1)
    except Exception:  # noqa: BLE001  Pillow fails in many ways on a cut file: keep what came
        pass
    positive = [d for d in delays if d > 0]
    if not positive:
        return []
    shortest = min(positive)
    return [max(1, int(round(d / shortest))) for d in delays]


def _expand_gif(reader, repeats):
    """``reader`` (metadata, then frames) with GIF frame ``i`` repeated ``repeats[i]`` times."""
    try:
        yield next(reader)
        for index, raw in enumerate(reader):
            for _ in range(repeats[index] if index < len(repeats) else 1):
                yield raw
    finally:
        reader.close()


def probe_video(path) -> VideoInfo:
    """Read a video file's header: size, frame rate and duration.

    Args:
        path: str or path-like.

    Returns:
        ``VideoInfo``.

    Raises:
        FileNotFoundError, VideoReadError: see ``check_video_path``; also when ffmpeg cannot
        parse the file.
    """
    path = check_video_path(path, owner="probe_video")
    reader = _frames(path)
    try:
        meta = next(reader)
    except Exception as error:
        raise VideoReadError(path, _ffmpeg_reason(error)) from None
    finally:
        reader.close()
    width, height = meta["source_size"]
    return VideoInfo(path, int(width), int(height), float(meta.get("fps") or 0.0),
                     float(meta.get("duration") or 0.0))


class TruncatedVideoWarning(UserWarning):
    """A video file decodes to fewer frames than its header promises (cut short, damaged)."""


def _given(name, value, kind=True):
    """``"start='a' (a str)"``: an argument as it was given, for error messages."""
    if not kind or value is None:
        return f"{name}={value!r}"
    type_name = type(value).__name__
    return f"{name}={value!r} ({'an' if type_name[0] in 'aeiou' else 'a'} {type_name})"


def _int_arg(owner, name, value, minimum, meaning, allow_none=False):
    """``value`` as an int ``>= minimum`` (or None when allowed); a clear error otherwise."""
    if value is None and allow_none:
        return None
    none = " or None" if allow_none else ""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: expected {name} to be an int >= {minimum}{none} "
                        f"({meaning}), got {_given(name, value)}.")
    if value < minimum:
        raise ValueError(f"{owner}: expected {name} >= {minimum}{none} ({meaning}), got "
                         f"{_given(name, value, kind=False)}.")
    return int(value)


def _size_arg(owner, size):
    """``size`` as ``(height, width)`` of ints >= 1, or None; a clear error otherwise."""
    if size is None:
        return None
    expected = ("an int or a (height, width) pair of ints, each >= 1 (or None to keep the "
                "file's size)")
    if isinstance(size, (tuple, list, np.ndarray)):
        pair = tuple(size.tolist() if isinstance(size, np.ndarray) else size)
        if len(pair) != 2:
            raise ValueError(f"{owner}: expected size to be {expected}, got size={size!r} "
                             f"({len(pair)} values).")
    else:
        pair = (size, size)
    for value in pair:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{owner}: expected size to be {expected}, got size={size!r} "
                            f"(a {type(value).__name__} where an int belongs).")
    if min(pair) < 1:
        raise ValueError(f"{owner}: expected size to be {expected}, got size={size!r}.")
    return tuple(int(v) for v in pair)


@dataclasses.dataclass(frozen=True)
class DecodedFrames:
    """What ``decode_frames`` found in a file.

    Attributes:
        video: uint8 ``(frames, height, width, 3)``; ``frames`` may be 0.
        decoded: int. Frames ffmpeg delivered from the file's first frame on (all of them
            when ``reached_end``, else only up to the end of the requested clip).
        reached_end: bool. Decoding ran to the end of the file.
        promised: int. The header's frame count (``VideoInfo.num_frames``; 0 if unknown).
        truncation: str or None. When the file ended sooner than its header promises (or
            an ffmpeg error stopped it), a sentence that says so with both counts.
    """

    video: np.ndarray
    decoded: int
    reached_end: bool
    promised: int
    truncation: str | None


def _truncation(path, meta, decoded, error):
    """The sentence saying that ``path`` was cut short, or None if it looks whole."""
    fps, duration = float(meta.get("fps") or 0.0), float(meta.get("duration") or 0.0)
    promised = int(round(fps * duration))
    counts = (f"its header promises {promised} frames ({duration:g} s at {fps:g} fps) "
              f"{'but only' if decoded < promised else 'and'} {decoded} decoded")
    if error is not None:
        return f"{counts}: {_ffmpeg_reason(error)}"
    # fps x duration is rounded, and containers round durations: allow a frame or 5 %.
    if promised and decoded < promised - max(1, promised // 20):
        return counts
    if path.lower().endswith(".gif") and not _gif_is_complete(path):
        # ffmpeg measures a gif by scanning it, so the two counts may agree.
        return (f"{counts}, and the file stops inside a frame, before the GIF trailer: it "
                f"was cut short and its last frame may be incomplete")
    return None


def _gif_is_complete(path) -> bool:
    """Whether a GIF file's blocks all run whole (to its trailer byte 0x3B, or to its end).

    A GIF has no frame count in its header; a file cut short stops inside a block. (Some
    encoders leave out the trailer: a file that ends between two blocks counts as whole.)
    """
    with open(path, "rb") as file:
        data = file.read()

    def table_size(packed):   # a global or local colour table follows when bit 7 is set
        return 3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0

    def skip_sub_blocks(pos):   # data sub-blocks: a size byte, that many bytes; 0 ends
        while pos < len(data) and data[pos]:
            pos += 1 + data[pos]
        return pos + 1

    if len(data) < 13 or data[:3] != b"GIF":
        return False
    pos = 13 + table_size(data[10])
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:                               # trailer
            return True
        if block == 0x21:                               # extension: label, sub-blocks
            pos = skip_sub_blocks(pos + 2)
        elif block == 0x2C and pos + 10 <= len(data):   # image: descriptor, table, LZW
            pos = skip_sub_blocks(pos + 10 + table_size(data[pos + 9]) + 1)
        else:
            return False
    return pos == len(data)


def decode_frames(path, start=0, num_frames=None, stride=1, size=None) -> DecodedFrames:
    """Decode frames like ``read_video``, and report how far the file really decodes.

    ``read_video`` is built on it; ``VideoFolder`` uses it to learn the true length of a
    file whose header over-states it. It neither warns nor fails for a short file: that is
    the caller's decision.

    Args:
        path, start, num_frames, stride, size: as in ``read_video``.

    Returns:
        ``DecodedFrames``.

    Raises:
        TypeError, ValueError: a bad argument (see ``read_video``).
        FileNotFoundError, VideoReadError: see ``check_video_path``; also when ffmpeg
            decodes no frame at all before failing.
    """
    path = check_video_path(path, owner="read_video")
    owner = f"read_video({path!r})"
    start = _int_arg(owner, "start", start, 0, "the index of the first frame to keep")
    stride = _int_arg(owner, "stride", stride, 1, "keep every stride-th frame")
    num_frames = _int_arg(owner, "num_frames", num_frames, 1,
                          "how many frames to keep; None for all to the end", allow_none=True)
    size = _size_arg(owner, size)
    stop = None if num_frames is None else start + num_frames * stride
    reader = _frames(path, size)
    frames, decoded, reached_end, error, meta = [], 0, False, None, {}
    try:
        meta = next(reader)
        width, height = meta["size"]
        for index, raw in enumerate(reader):
            if stop is not None and index >= stop:
                break
            decoded = index + 1
            if index >= start and (index - start) % stride == 0:
                frames.append(np.frombuffer(raw, np.uint8).reshape(height, width, 3))
        else:
            reached_end = True
    except Exception as error_:  # ffmpeg failed (before the header, or mid-stream)
        if not decoded:
            raise VideoReadError(path, _ffmpeg_reason(error_)) from None
        error, reached_end = error_, True
    finally:
        reader.close()
    truncation = _truncation(path, meta, decoded, error) if reached_end else None
    promised = int(round(float(meta.get("fps") or 0.0) * float(meta.get("duration") or 0.0)))
    video = np.stack(frames) if frames else np.zeros((0, height, width, 3), np.uint8)
    return DecodedFrames(video, decoded, reached_end, promised, truncation)


def read_video(path, start=0, num_frames=None, stride=1, size=None):
    """Decode frames of a video file.

    A file that decodes to fewer frames than its header promises (cut short by a download,
    damaged) gives the frames that decode, with a ``TruncatedVideoWarning`` that names the
    file and both counts.

    Args:
        path: str or path-like. An mp4, avi, webm, gif, mov, mkv or mpeg file.
        start: int >= 0. Index of the first frame to keep.
        num_frames: int >= 1 or None. How many frames to keep; None for all to the end. A
            file that ends sooner gives fewer.
        stride: int >= 1. Keep every ``stride``-th frame from ``start``.
        size: int, ``(height, width)`` of ints, or None. Resize every frame (area-averaging
            in ffmpeg); None keeps the file's size.

    Returns:
        uint8 array ``(frames, height, width, 3)``, RGB.

    Raises:
        FileNotFoundError: the file does not exist.
        VideoReadError: the file is empty, unsupported, corrupt, or holds no frame from
            ``start`` on.
        TypeError: an argument of the wrong type (``path`` not a path, ``start`` not an
            int, ``size`` a float...).
        ValueError: an argument out of range (``stride=0``, ``size=(4, 4, 4)``...).
    """
    result = decode_frames(path, start=start, num_frames=num_frames, stride=stride, size=size)
    path = os.fsdecode(os.fspath(path))
    if not len(result.video):
        more = f" ({result.truncation})" if result.truncation else (
            f" (it has {result.decoded} frames)" if result.reached_end else "")
        raise VideoReadError(path, f"no video frames from frame {start} on{more}")
    if result.truncation:
        warnings.warn(f"read_video: video {path!r} looks truncated or damaged: "
                      f"{result.truncation}. Returning the {len(result.video)} frames that "
                      f"decode; download or export the file again to get all of them.",
                      TruncatedVideoWarning, stacklevel=2)
    return result.video

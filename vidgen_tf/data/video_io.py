"""Reading real video files through the ffmpeg that ships with imageio-ffmpeg.

No system ffmpeg and no tensorflow-io are needed (tensorflow-io is abandoned and its ffmpeg
ops do not load with current TensorFlow; see the README). Frames come out as ``uint8 (frames,
height, width, 3)`` RGB.

Introduced in lesson 00.
"""

from __future__ import annotations

import dataclasses
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


def check_video_path(path) -> str:
    """Return ``path`` as a str if it names a non-empty file with a supported extension.

    Raises:
        FileNotFoundError: missing file (a subclass of ``OSError``).
        VideoReadError: empty file, a folder, or an unsupported extension.
    """
    path = os.fspath(path)
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


def _frames(path, size=None):
    """Generator: first the imageio-ffmpeg metadata dict, then raw RGB frames as bytes."""
    import imageio_ffmpeg

    output = ["-vf", f"scale={size[1]}:{size[0]}:flags=area"] if size else []
    return imageio_ffmpeg.read_frames(path, pix_fmt="rgb24", output_params=output)


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
    path = check_video_path(path)
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


def read_video(path, start=0, num_frames=None, stride=1, size=None):
    """Decode frames of a video file.

    Args:
        path: str or path-like. An mp4, avi, webm, gif, mov, mkv or mpeg file.
        start: int. Index of the first frame to keep.
        num_frames: int or None. How many frames to keep; None for all to the end. A file
            that ends sooner gives fewer.
        stride: int. Keep every ``stride``-th frame from ``start``.
        size: int, ``(height, width)`` or None. Resize every frame (area-averaging in ffmpeg);
            None keeps the file's size.

    Returns:
        uint8 array ``(frames, height, width, 3)``, RGB.

    Raises:
        FileNotFoundError: the file does not exist.
        VideoReadError: the file is empty, unsupported, corrupt, or holds no frame from
            ``start`` on.
        ValueError: a bad argument.
    """
    path = check_video_path(path)
    if int(start) < 0 or int(stride) < 1 or (num_frames is not None and int(num_frames) < 1):
        raise ValueError(
            f"read_video({path!r}): need start >= 0, stride >= 1 and num_frames >= 1 or None; "
            f"got start={start}, stride={stride}, num_frames={num_frames}.")
    if size is not None:
        size = (int(size), int(size)) if np.isscalar(size) else tuple(int(s) for s in size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"read_video({path!r}): size must be an int or (height, width), "
                             f"got {size}.")
    stop = None if num_frames is None else int(start) + int(num_frames) * int(stride)
    reader = _frames(path, size)
    frames = []
    try:
        meta = next(reader)
        width, height = meta["size"]
        for index, raw in enumerate(reader):
            if stop is not None and index >= stop:
                break
            if index >= start and (index - start) % stride == 0:
                frames.append(np.frombuffer(raw, np.uint8).reshape(height, width, 3))
    except Exception as error:
        if not frames:
            raise VideoReadError(path, _ffmpeg_reason(error)) from None
        # A damaged tail: keep the frames decoded before it, and say so.
        warnings.warn(f"Video {path!r} stopped after {len(frames)} frames: "
                      f"{_ffmpeg_reason(error)}", stacklevel=2)
    finally:
        reader.close()
    if not frames:
        raise VideoReadError(path, f"no video frames from frame {start} on")
    return np.stack(frames)

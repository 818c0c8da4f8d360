"""Shared fixtures: real video files written with moviepy and imageio (not with vidgen_tf)."""

import os

import numpy as np
import pytest

os.environ.setdefault("VIDGEN_PROFILE", "smoke")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def counting_frames(num_frames, height=32, width=48):
    """uint8 (T, H, W, 3): frame t is filled with grey level 10 * t, plus a bright square
    whose position moves with t (so that every frame is distinct and identifiable)."""
    frames = np.zeros((num_frames, height, width, 3), np.uint8)
    for t in range(num_frames):
        frames[t] = 10 * t
        frames[t, 4:12, 2 + t:10 + t] = 250
    return frames


def write_with_moviepy(path, frames, fps=10):
    """Write uint8 RGB frames with moviepy 2 (codec by extension)."""
    from moviepy import ImageSequenceClip

    clip = ImageSequenceClip(list(frames), fps=fps)
    ext = os.path.splitext(path)[1]
    if ext == ".gif":
        clip.write_gif(path, fps=fps, logger=None)
    else:
        codec = {".mp4": "libx264", ".avi": "png", ".webm": "libvpx"}[ext]
        params = ["-pix_fmt", "yuv420p"] if codec == "libx264" else None
        clip.write_videofile(path, codec=codec, audio=False, logger=None, ffmpeg_params=params)
    clip.close()
    return path


def cut_short(path, fraction, out_path):
    """Write the first ``fraction`` of the bytes of the file ``path`` to ``out_path``, as a
    download that stopped early would; return ``out_path`` as a str."""
    data = open(path, "rb").read()
    with open(out_path, "wb") as file:
        file.write(data[: int(len(data) * fraction)])
    return str(out_path)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)

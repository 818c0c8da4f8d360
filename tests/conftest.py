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


# --- the order in which the test files are handed to the xdist workers --------------------
# `make test` runs one file per worker at a time (`--dist loadfile`) on as few as 2 cores; a
# long file handed out last keeps one worker busy while the other idles. The files are
# handed out longest first (`--no-loadscope-reorder` keeps this order), by the seconds they
# took in a full run on 2 cores (tests/file_seconds.json, written by
# `python -m tests.file_seconds LOG` from a log of `make test-unit`, which prints every
# test's duration); a file not listed counts as 10 s. Only the order depends on it.
def _file_seconds():
    import json

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "file_seconds.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def pytest_collection_modifyitems(config, items):
    seconds = _file_seconds()
    # a stable sort: each file's tests keep their order, and stay together
    items.sort(key=lambda item: -seconds.get(item.nodeid.split("::", 1)[0], 10.0))

"""VideoFolder: a folder of video files in the UCF-101 layout, as clips with class labels.

The layout is one sub-folder per class, holding that class's videos::

    root/
      ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi
      Basketball/v_Basketball_g01_c01.avi
      ...

Each file is probed once (in parallel) when the folder is opened; files that cannot be read
are skipped with one warning that counts them, and a folder whose files are all bad is an
error. Clips of ``num_frames`` frames, every ``stride``-th frame, resized to ``image_size``,
are decoded by ffmpeg inside a tf.data pipeline. Videos are ``uint8 (frames, height,
width, 3)``.

Introduced in lesson 00.
"""

from __future__ import annotations

import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vidgen_tf.data.synthetic import check_int
from vidgen_tf.data.video_io import (SUPPORTED_EXTENSIONS, VideoReadError, probe_video,
                                     read_video)


def humanize(class_name: str) -> str:
    """``"ApplyEyeMakeup"`` -> ``"apply eye makeup"``; ``"playing_guitar"`` -> ``"playing guitar"``."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", class_name.replace("_", " "))
    return " ".join(words.lower().split())


class VideoFolder:
    """Clips from a folder of videos in the UCF-101 layout (``root/class/video.avi``).

    Args:
        root: str. The folder.
        num_frames: int. Frames per clip.
        stride: int. Keep every ``stride``-th frame (2 halves the frame rate).
        image_size: int or ``(height, width)``. Frames are resized to it.
        extensions: tuple of str. File endings to take (case-insensitive).
        seed: int. Seed of the shuffling and of the random clip starts.
        workers: int. Parallel ffmpeg probes when opening the folder.
        progress: bool or None. Show a progress bar while probing; None shows one for
            more than 200 files.

    Attributes:
        classes: list of class names (sorted sub-folder names).
        files: list of readable files; ``labels[i]`` is the class index of ``files[i]``.
        infos: list of ``VideoInfo`` (size, fps, duration) of each file.
        skipped: list of ``(path, reason)`` of the files that could not be read.

    Raises:
        FileNotFoundError: ``root`` does not exist.
        ValueError: ``root`` holds no class folder with a video in it, or every file is bad.
    """

    def __init__(self, root, num_frames=16, stride=1, image_size=64,
                 extensions=SUPPORTED_EXTENSIONS, seed=0, workers=4, progress=None):
        self.root = os.fspath(root)
        self.num_frames = check_int("num_frames", num_frames, 1, "VideoFolder")
        self.stride = check_int("stride", stride, 1, "VideoFolder")
        size = (image_size, image_size) if np.isscalar(image_size) else tuple(image_size)
        self.image_size = tuple(check_int("image_size", s, 1, "VideoFolder") for s in size)
        if isinstance(extensions, str):
            extensions = (extensions,)
        self.extensions = tuple(e.lower() for e in extensions)
        self.seed = int(seed)
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"VideoFolder: {self.root!r} is not a folder.")
        candidates = self._scan()
        if progress is None:
            progress = len(candidates) > 200
        probes = self._probe([path for path, _ in candidates], workers, progress)
        self.classes = sorted({label for _, label in candidates})
        index = {name: i for i, name in enumerate(self.classes)}
        self.files, self.infos, labels, self.skipped = [], [], [], []
        for (path, label), probe in zip(candidates, probes):
            if isinstance(probe, Exception):
                self.skipped.append((path, getattr(probe, "reason", str(probe))))
            else:
                self.files.append(path)
                self.infos.append(probe)
                labels.append(index[label])
        self.labels = np.asarray(labels, np.int32)
        if self.skipped:
            path, reason = self.skipped[0]
            message = (f"VideoFolder {self.root!r}: skipped {len(self.skipped)} of "
                       f"{len(candidates)} files that could not be read (first: {path}: {reason}).")
            if not self.files:
                raise ValueError(message.replace("skipped", "all files are bad:", 1))
            warnings.warn(message, stacklevel=2)

    def _scan(self):
        """``[(path, class_name)]`` of video files one level below ``root``."""
        found = []
        for name in sorted(os.listdir(self.root)):
            folder = os.path.join(self.root, name)
            if not os.path.isdir(folder) or name.startswith("."):
                continue
            for file in sorted(os.listdir(folder)):
                if os.path.splitext(file)[1].lower() in self.extensions:
                    found.append((os.path.join(folder, file), name))
        if not found:
            raise ValueError(
                f"VideoFolder: {self.root!r} holds no video files in the UCF-101 layout "
                f"(root/class_name/video{self.extensions[0]}, extensions {self.extensions}).")
        return found

    @staticmethod
    def _probe(paths, workers, progress):
        def safe(path):
            try:
                return probe_video(path)
            except (OSError, VideoReadError) as error:
                return error

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = pool.map(safe, paths)
            if progress:
                from tqdm.auto import tqdm

                results = tqdm(results, total=len(paths), desc="Probing videos", unit="file")
            return list(results)

    def __len__(self):
        return len(self.files)

    def max_start(self, index) -> int:
        """Latest first frame of a full clip of file ``index`` (0 if the file is short)."""
        span = (self.num_frames - 1) * self.stride + 1
        return max(0, self.infos[index].num_frames - span)

    def read_clip(self, index, start=None):
        """Decode one clip of file ``index``.

        Args:
            index: int. Which file.
            start: int or None. First frame; None takes the clip in the middle of the file.

        Returns:
            uint8 ``(num_frames, height, width, 3)``. A file shorter than a clip is padded by
            repeating its last frame.

        Raises:
            VideoReadError: the file cannot be decoded.
        """
        start = self.max_start(index) // 2 if start is None else int(start)
        path = self.files[index]
        try:
            video = read_video(path, start=start, num_frames=self.num_frames,
                               stride=self.stride, size=self.image_size)
        except VideoReadError:
            if start == 0:
                raise
            # The header's frame count was an over-estimate: take the clip from the start.
            video = read_video(path, start=0, num_frames=self.num_frames, stride=self.stride,
                               size=self.image_size)
        if len(video) < self.num_frames:
            pad = np.repeat(video[-1:], self.num_frames - len(video), axis=0)
            video = np.concatenate([video, pad])
        return video

    def _read_or_flag(self, index, start):
        """``(video, ok)`` for tf.numpy_function: a bad file gives a black clip and False."""
        try:
            return self.read_clip(int(index), int(start)), np.bool_(True)
        except (OSError, VideoReadError) as error:
            warnings.warn(f"VideoFolder: skipping a clip: {error}", stacklevel=1)
            h, w = self.image_size
            return np.zeros((self.num_frames, h, w, 3), np.uint8), np.bool_(False)

    def as_tf_dataset(self, shuffle=True, random_start=True, seed=None):
        """A ``tf.data.Dataset`` of clip dicts decoded by ffmpeg in parallel.

        Args:
            shuffle: bool. Shuffle the files (again every epoch).
            random_start: bool. Take each clip at a random start (training), drawn again
                every epoch; False takes the middle clip of each file (evaluation).
            seed: int or None. Seed of the order and the starts; the folder's ``seed`` when
                None.

        Returns:
            ``tf.data.Dataset`` of dicts: ``video`` uint8 ``(T, H, W, 3)``, ``label`` int32,
            ``caption`` str (the class name in words), ``path`` str. Clips whose file fails
            to decode are dropped with a warning.
        """
        import tensorflow as tf

        count = len(self.files)
        seed = self.seed if seed is None else int(seed)
        table = {
            "index": np.arange(count, dtype=np.int64),
            "max_start": np.asarray([self.max_start(i) for i in range(count)], np.int64),
        }
        files = tf.data.Dataset.from_tensor_slices(table)
        if shuffle:
            files = files.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        labels = tf.constant(self.labels)
        captions = tf.constant([humanize(name) for name in self.classes])
        paths = tf.constant(self.files)
        h, w = self.image_size

        def load(item, random):
            start = (tf.math.floormod(tf.abs(random), item["max_start"] + 1) if random_start
                     else item["max_start"] // 2)
            video, ok = tf.numpy_function(self._read_or_flag, [item["index"], start],
                                          [tf.uint8, tf.bool], stateful=False)
            video.set_shape((self.num_frames, h, w, 3))
            label = tf.gather(labels, item["index"])
            return {"video": video, "label": label, "caption": tf.gather(captions, label),
                    "path": tf.gather(paths, item["index"]), "ok": ok}

        clips = tf.data.Dataset.zip((files, randoms)).map(
            load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        clips = clips.filter(lambda clip: clip["ok"])
        return clips.map(lambda clip: {k: v for k, v in clip.items() if k != "ok"})

    def __repr__(self):
        return (f"VideoFolder({self.root!r}: {len(self.files)} videos in {len(self.classes)} "
                f"classes, num_frames={self.num_frames}, stride={self.stride}, "
                f"image_size={self.image_size})")

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

A clip is never padded with frozen frames behind your back. A file that turns out, when
decoded, to be shorter than its header says (cut short by a download) has its clips taken
from the frames that really decode, or, if those are fewer than a clip, is skipped with a
warning that counts the files skipped so far. Only files that are shorter than a clip by
their header are padded by repeating their last frame, and the folder warns about those
when it is opened.

Introduced in lesson 00.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vidgen_tf.data.synthetic import check_int
from vidgen_tf.data.video_io import (SUPPORTED_EXTENSIONS, VideoReadError, decode_frames,
                                     probe_video)


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
        skipped: list of ``(path, reason)`` of the files that could not be read when the
            folder was opened.
        skipped_while_decoding: dict ``{path: reason}`` of the files whose clips were
            dropped later, while decoding (a file cut short, a file removed...).

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
        self.skipped_while_decoding = {}
        self._frames_found = {}     # index -> frames that really decode, if fewer than promised
        self._truncated = set()     # indices of files found too short for a clip: dropped
        self._lock = threading.Lock()
        span = self._span()
        short = [(path, info.num_frames) for path, info in zip(self.files, self.infos)
                 if info.num_frames < span]
        if short:
            warnings.warn(
                f"VideoFolder {self.root!r}: {len(short)} of {len(self.files)} files are "
                f"shorter than a clip, which needs {span} frames (num_frames={self.num_frames}, "
                f"stride={self.stride}); first: {short[0][0]} has {short[0][1]} frames by its "
                f"header. Their clips are padded by repeating the last frame; lower "
                f"num_frames or stride to avoid it.", stacklevel=2)

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

    def _span(self) -> int:
        """Frames of the file that one clip covers."""
        return (self.num_frames - 1) * self.stride + 1

    def num_frames_of(self, index) -> int:
        """Frames of file ``index``: its header's count, or fewer once decoding found fewer."""
        return self._frames_found.get(int(index), self.infos[int(index)].num_frames)

    def max_start(self, index) -> int:
        """Latest first frame of a full clip of file ``index`` (0 if the file is short)."""
        return max(0, self.num_frames_of(index) - self._span())

    def read_clip(self, index, start=None):
        """Decode one clip of file ``index``.

        Args:
            index: int. Which file.
            start: int or None. First frame; None takes the clip in the middle of the file.

        Returns:
            uint8 ``(num_frames, height, width, 3)``. If the clip from ``start`` runs past
            the frames that really decode (a file shorter than its header says), the latest
            full clip is taken instead, and the file's true length is kept for its next
            clips. Only a file shorter than a clip by its header (the folder warned about
            those when it was opened) is padded by repeating its last frame.

        Raises:
            VideoReadError: the file cannot be decoded, or it decodes to fewer frames than a
                clip needs although its header promises enough (a truncated file).
        """
        return self._clip(int(index), start=start)

    def _clip(self, index, start=None, random=None):
        """A clip of file ``index`` from ``start``, or from a start drawn with ``random`` (an
        int) among the full clips, or from the middle clip when both are None."""

        def pick_start():
            if random is not None:
                return abs(int(random)) % (self.max_start(index) + 1)
            if start is None:
                return self.max_start(index) // 2
            return int(start)

        path, span = self.files[index], self._span()

        def decode(first):
            return decode_frames(path, start=first, num_frames=self.num_frames,
                                 stride=self.stride, size=self.image_size)

        first = pick_start()
        result = decode(first)
        if len(result.video) == self.num_frames:
            return result.video
        # The file ended before the clip did: result.decoded is its true length.
        found, promised = result.decoded, self.infos[index].num_frames
        newly_short = found < promised and index not in self._frames_found
        if found < promised:
            self._frames_found[index] = found
        if found >= span:
            # A full clip fits into the frames that decode: take one there, never pad.
            if newly_short and result.truncation:
                warnings.warn(
                    f"VideoFolder {self.root!r}: {path} is shorter than its header says "
                    f"({result.truncation}); its clips are now taken from those {found} "
                    f"frames.", stacklevel=2)
            video = decode(pick_start() if start is None or random is not None
                           else min(int(start), self.max_start(index))).video
            if len(video) == self.num_frames:
                return video
        elif promised < span:
            # Shorter than a clip by its header, as the folder warned when it was opened:
            # its one clip starts at frame 0 and is padded by repeating its last frame.
            video = decode(0).video if first else result.video
            if len(video):
                pad = np.repeat(video[-1:], self.num_frames - len(video), axis=0)
                return np.concatenate([video, pad])
        self._truncated.add(index)
        why = result.truncation or f"its header promises {promised} frames and {found} decoded"
        raise VideoReadError(
            path, f"it is too short for a clip: {why}; a clip of num_frames={self.num_frames} "
                  f"with stride={self.stride} needs {span} frames. The file is probably "
                  f"truncated: download or export it again")

    def _read_or_flag(self, index, random):
        """``(video, ok)`` for tf.numpy_function: a bad file gives a black clip and False.

        ``random`` (an int) draws the clip's start, or is None for the middle clip.
        """
        index = int(index)
        h, w = self.image_size
        black = np.zeros((self.num_frames, h, w, 3), np.uint8)
        if index in self._truncated:        # found too short for a clip (by read_clip too)
            self._skip(index, "it is too short for a clip (found when it was read before)")
            return black, np.bool_(False)
        try:
            return self._clip(index, random=random), np.bool_(True)
        except (OSError, VideoReadError) as error:
            self._skip(index, getattr(error, "reason", str(error)), error)
            return black, np.bool_(False)

    def _skip(self, index, reason, error=None):
        """Count a file dropped while decoding in ``skipped_while_decoding``; warn the first
        time, with the count so far."""
        path = self.files[index]
        with self._lock:
            if path in self.skipped_while_decoding:
                return
            self.skipped_while_decoding[path] = reason
            count = len(self.skipped_while_decoding)
        opened = (f" ({len(self.skipped)} more were skipped when the folder was opened)"
                  if self.skipped else "")
        warnings.warn(
            f"VideoFolder {self.root!r}: skipping a clip of {path}: {error or reason}. Files "
            f"skipped while decoding so far: {count} of {len(self.files)}{opened}.",
            stacklevel=2)

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
        files = tf.data.Dataset.from_tensor_slices({"index": np.arange(count, dtype=np.int64)})
        if shuffle:
            files = files.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        labels = tf.constant(self.labels)
        captions = tf.constant([humanize(name) for name in self.classes])
        paths = tf.constant(self.files)
        h, w = self.image_size

        def read(index, random):
            # The start is drawn in Python, among the full clips of the frames known to decode.
            return self._read_or_flag(index, random if random_start else None)

        def load(item, random):
            video, ok = tf.numpy_function(read, [item["index"], random], [tf.uint8, tf.bool],
                                          stateful=False)
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

"""Moving MNIST: real handwritten digits bouncing in a 64x64 frame.

Two ways to get it, both needing real MNIST data that this course does not ship:

- ``MovingMNIST``: the generator of Srivastava et al. (2015) run over MNIST digits, with
  the physics and labels of ``MovingDigits``. MNIST comes from a file you give
  (``mnist_path``, the ``mnist.npz`` of ``keras.datasets.mnist``) or from a cache folder
  (``cache_dir``, by default Keras' ``~/.keras/datasets``), filled by downloading when it can.
- ``load_moving_mnist_test_seq``: the fixed test set ``mnist_test_seq.npy`` (10,000 clips of
  20 frames) used to compare published video-prediction results.

Offline and without these files, both fail with a message that names the embedded
alternative, ``MovingDigits``. Videos are ``uint8 (frames, 64, 64, 1)``.

Introduced in lesson 00.
"""

from __future__ import annotations

import os

import numpy as np

from vidgen_tf.data.moving_digits import MovingDigits

OFFLINE_HINT = (
    "Without MNIST, use the embedded dataset: vidgen_tf.data.MovingDigits (digits drawn from "
    "fonts, no download), which has the same physics and labels."
)


class MNISTUnavailableError(RuntimeError):
    """MNIST (or the Moving MNIST test file) could not be found or downloaded."""


# Where keras.datasets.mnist downloads MNIST from, and the file's SHA-256 (as in Keras).
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_mnist(path=None, download=True, cache_dir=None):
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``.

    Args:
        path: str or None. An ``.npz`` file with arrays ``x_train``, ``y_train``,
            ``x_test``, ``y_test`` (the layout of ``keras.datasets.mnist``). When None,
            ``mnist.npz`` of ``cache_dir`` is read, downloaded there first if needed.
        download: bool. With ``path=None``, whether MNIST may be downloaded (from
            ``MNIST_URL``, checked against ``MNIST_SHA256``) when ``cache_dir`` does not hold
            it. ``False`` never touches the network (lessons and tests use that).
        cache_dir: str or None. The folder that holds ``mnist.npz``; default Keras' cache,
            ``~/.keras/datasets`` (or ``$KERAS_HOME/datasets``), where
            ``keras.datasets.mnist.load_data()`` puts it.

    Returns:
        uint8 images ``(N, 28, 28)`` and int labels ``(N,)`` for both splits.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` (or the cached ``mnist.npz``) is not an MNIST ``.npz`` file.
        MNISTUnavailableError: no path, nothing cached and no download possible (or
            ``download=False``).
    """
    if path is not None:
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"MNIST file {path!r} does not exist. {OFFLINE_HINT}")
        return _read_mnist(path)
    if cache_dir is None:
        cache_dir = os.path.join(_keras_home(), "datasets")
    cache = os.path.join(os.fspath(cache_dir), "mnist.npz")
    if os.path.isfile(cache):
        return _read_mnist(cache)
    if not download:
        raise MNISTUnavailableError(
            f"MNIST is not cached ({cache} does not exist) and download=False. Copy mnist.npz "
            f"there, pass mnist_path=..., or allow download=True. {OFFLINE_HINT}")
    import keras

    try:
        os.makedirs(cache_dir, exist_ok=True)   # Keras puts it elsewhere if it does not exist
        downloaded = keras.utils.get_file("mnist.npz", origin=MNIST_URL,
                                          file_hash=MNIST_SHA256, cache_dir=cache_dir,
                                          cache_subdir="")
    except Exception as error:  # network errors come in many types
        if os.path.exists(cache):
            os.remove(cache)    # a download that failed its check must not pass as the cache
        raise MNISTUnavailableError(
            f"MNIST is not cached ({cache} does not exist) and could not be downloaded from "
            f"{MNIST_URL} ({type(error).__name__}: {error}). Copy mnist.npz there or pass "
            f"mnist_path=... . {OFFLINE_HINT}"
        ) from error
    return _read_mnist(downloaded)


def _read_mnist(path):
    """The four arrays of the MNIST ``.npz`` file ``path``, checked."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("x_train", "y_train", "x_test", "y_test")}
    except KeyError as error:
        raise ValueError(
            f"{path!r} is not an MNIST .npz file: it must hold x_train, y_train, x_test and "
            f"y_test ({error})."
        ) from error
    except Exception as error:
        raise ValueError(f"{path!r} could not be read as an .npz file: {error}") from error
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise ValueError(
                f"{path!r}: x_{split} must be (N, height, width) images with one label each, "
                f"got x_{split} {x.shape} and y_{split} {y.shape}."
            )
    return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))


def _keras_home():
    """Where Keras caches downloads (``KERAS_HOME``, read when Keras was imported)."""
    try:
        from keras.src.backend.config import keras_home

        return keras_home()
    except ImportError:  # a Keras without this private helper
        return os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))


class MovingMNIST(MovingDigits):
    """Moving MNIST generated from real MNIST digits.

    Args:
        num_frames: int. Frames per clip (20 in the original).
        image_size: int. Frame height and width (64 in the original).
        num_digits: int or ``(min, max)``. Digits per clip (2 in the original).
        digit_size: int or None. Patch side; MNIST's 28 pixels are resized to it.
        speed_range: as in ``MovingDigits``.
        mnist_path: str or None. See ``load_mnist``.
        download: bool. See ``load_mnist``.
        seed: int. Seed of the dataset.
        split: ``"train"`` (the first 55,000 MNIST training digits), ``"val"`` (the last
            5,000) or ``"test"`` (the MNIST test digits).
        cache_dir: str or None. The folder of ``mnist.npz``; see ``load_mnist``.

    Clips hold the labels of ``MovingDigits``, with ``mnist_index`` (the index of each
    digit's image in its MNIST split) in place of ``fonts``.

    Raises:
        MNISTUnavailableError: see ``load_mnist``.
    """

    source_label = "mnist_index"
    VAL_SIZE = 5000

    def __init__(self, num_frames=20, image_size=64, num_digits=2, digit_size=None,
                 speed_range=None, mnist_path=None, download=True, seed=0, split="train",
                 cache_dir=None):
        super().__init__(num_frames=num_frames, image_size=image_size, num_digits=num_digits,
                         digit_size=digit_size, speed_range=speed_range, seed=seed, split=split)
        self.mnist_path = mnist_path
        self.cache_dir = cache_dir
        (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path, download=download,
                                                          cache_dir=cache_dir)
        if split == "test":
            images, labels = x_test, y_test
        else:
            cut = len(x_train) - min(self.VAL_SIZE, len(x_train) // 10)
            part = slice(cut, None) if split == "val" else slice(None, cut)
            images, labels = x_train[part], y_train[part]
        self.images = _resize(np.asarray(images, np.uint8), self.digit_size)
        self.labels = np.asarray(labels, np.int32)

    def _draw(self, rng, count):
        index = rng.integers(0, len(self.images), size=count)
        return self.labels[index], self.images[index], index


def _resize(images, size):
    """Resize ``uint8 (N, h, w)`` images to ``(N, size, size)`` (area-averaging)."""
    if images.shape[1:] == (size, size):
        return images
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(im).resize((size, size), Image.BOX))
                     for im in images])


def load_moving_mnist_test_seq(path):
    """Load the fixed Moving MNIST test set.

    Args:
        path: str. ``mnist_test_seq.npy`` as published (uint8, ``(20, 10000, 64, 64)``:
            frames first).

    Returns:
        uint8 array ``(clips, frames, 64, 64, 1)``.

    Raises:
        MNISTUnavailableError: the file does not exist.
        ValueError: the file is not a ``(frames, clips, height, width)`` uint8 array.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MNISTUnavailableError(
            f"Moving MNIST test file {path!r} does not exist (it is published as "
            f"mnist_test_seq.npy). {OFFLINE_HINT}"
        )
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as error:
        raise ValueError(f"{path!r} could not be read as a .npy file: {error}") from error
    if data.ndim != 4 or data.dtype != np.uint8:
        raise ValueError(
            f"{path!r} must hold a uint8 array (frames, clips, height, width) such as "
            f"(20, 10000, 64, 64); got {data.dtype} {data.shape}."
        )
    return np.ascontiguousarray(np.transpose(data, (1, 0, 2, 3)))[..., None]

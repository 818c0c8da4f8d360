import hashlib
import os
import pathlib
import shutil

import numpy as np
import pytest

from vidgen_tf.data import (MNISTUnavailableError, MovingMNIST, load_mnist,
                            load_moving_mnist_test_seq, moving_mnist, render_digits)


@pytest.fixture(scope="module")
def mnist_file(tmp_path_factory):
    """A small file in the layout of keras' mnist.npz, with digits drawn from fonts."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("mnist") / "mnist.npz"
    y_train, y_test = rng.integers(0, 10, 300), rng.integers(0, 10, 50)
    np.savez(path, x_train=render_digits(rng, y_train, 28), y_train=y_train,
             x_test=render_digits(rng, y_test, 28), y_test=y_test)
    return str(path)


def test_load_mnist_from_a_file(mnist_file):
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_file)
    assert x_train.shape == (300, 28, 28) and y_test.shape == (50,)


def test_moving_mnist_draws_the_file_digits(mnist_file):
    ds = MovingMNIST(mnist_path=mnist_file, num_frames=5, num_digits=1, seed=0)
    assert len(ds.images) == 270                         # the last 10% are the val split
    clips = ds.generate(20)
    np.testing.assert_array_equal(clips["digits"][:, 0], ds.labels[clips["mnist_index"][:, 0]])
    for i in range(20):
        corner = np.round(clips["positions"][i, 0, 0] - 13.5).astype(int)
        crop = clips["video"][i, 0, corner[0]:corner[0] + 28, corner[1]:corner[1] + 28, 0]
        np.testing.assert_array_equal(crop, ds.images[clips["mnist_index"][i, 0]])
    test = MovingMNIST(mnist_path=mnist_file, num_frames=5, split="test")
    assert len(test.images) == 50 and test.generate(3)["video"].shape == (3, 5, 64, 64, 1)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test here runs offline: opening a network connection fails the test."""
    import socket

    def refuse(self, address, *args):
        pytest.fail(f"a test of MovingMNIST tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def test_a_cached_mnist_is_read_from_the_cache_folder(mnist_file, tmp_path):
    cache = tmp_path / "datasets"
    cache.mkdir()
    shutil.copy(mnist_file, cache / "mnist.npz")
    (x_train, y_train), (x_test, y_test) = load_mnist(cache_dir=cache, download=False)
    with np.load(mnist_file) as saved:
        np.testing.assert_array_equal(x_train, saved["x_train"])
        np.testing.assert_array_equal(y_test, saved["y_test"])
    ds = MovingMNIST(num_frames=5, download=False, cache_dir=str(cache), split="test")
    assert len(ds.images) == 50 and ds.cache_dir == str(cache)


def test_without_cache_and_download_names_the_file_and_the_embedded_alternative(tmp_path):
    empty = tmp_path / "empty"
    for call in (lambda: load_mnist(cache_dir=empty, download=False),
                 lambda: MovingMNIST(download=False, cache_dir=str(empty))):
        with pytest.raises(MNISTUnavailableError) as error:
            call()
        message = str(error.value)
        assert f"{empty / 'mnist.npz'} does not exist" in message
        assert "download=False" in message and "MovingDigits" in message
    assert not empty.exists()                              # nothing was written either


def test_a_failed_download_names_the_cache_and_the_source(tmp_path, monkeypatch):
    # a download from a local URL that does not exist: the error path, without a network
    missing = (tmp_path / "nowhere" / "mnist.npz").as_uri()
    monkeypatch.setattr(moving_mnist, "MNIST_URL", missing)
    cache = tmp_path / "cache"
    with pytest.raises(MNISTUnavailableError) as error:
        load_mnist(cache_dir=cache)
    message = str(error.value)
    assert f"{cache / 'mnist.npz'} does not exist" in message
    assert f"could not be downloaded from {missing}" in message and "MovingDigits" in message
    assert not (cache / "mnist.npz").exists()


def test_a_download_is_checked_and_kept_in_the_cache(mnist_file, tmp_path, monkeypatch):
    monkeypatch.setattr(moving_mnist, "MNIST_URL", pathlib.Path(mnist_file).as_uri())
    cache = tmp_path / "cache"
    with pytest.raises(MNISTUnavailableError, match="could not be downloaded"):
        load_mnist(cache_dir=cache)                        # not the file of MNIST_SHA256
    assert not (cache / "mnist.npz").exists()              # nothing unchecked left behind
    digest = hashlib.sha256(pathlib.Path(mnist_file).read_bytes()).hexdigest()
    monkeypatch.setattr(moving_mnist, "MNIST_SHA256", digest)
    (x_train, _), _ = load_mnist(cache_dir=cache)
    assert x_train.shape == (300, 28, 28)
    assert (cache / "mnist.npz").read_bytes() == pathlib.Path(mnist_file).read_bytes()
    monkeypatch.setattr(moving_mnist, "MNIST_URL", (tmp_path / "gone.npz").as_uri())
    assert load_mnist(cache_dir=cache, download=False)[0][0].shape == (300, 28, 28)


def test_a_damaged_cached_file_is_named(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=r"mnist.npz' could not be read as an .npz file"):
        load_mnist(cache_dir=tmp_path, download=False)


def test_bad_mnist_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="MovingDigits"):
        load_mnist(tmp_path / "missing.npz")
    np.savez(tmp_path / "wrong.npz", images=np.zeros((3, 28, 28)))
    with pytest.raises(ValueError, match="x_train"):
        load_mnist(tmp_path / "wrong.npz")
    (tmp_path / "text.npz").write_text("not numpy")
    with pytest.raises(ValueError, match="text.npz"):
        load_mnist(tmp_path / "text.npz")


def test_moving_mnist_test_seq(tmp_path):
    seq = np.zeros((20, 3, 64, 64), np.uint8)
    for t in range(20):
        for c in range(3):
            seq[t, c] = 10 * c + t
    np.save(tmp_path / "mnist_test_seq.npy", seq)
    clips = load_moving_mnist_test_seq(tmp_path / "mnist_test_seq.npy")
    assert clips.shape == (3, 20, 64, 64, 1)
    assert clips[2, 7, 0, 0, 0] == 27                    # clip 2, frame 7
    np.save(tmp_path / "bad.npy", np.zeros((20, 64, 64), np.uint8))
    with pytest.raises(ValueError, match="frames, clips, height, width"):
        load_moving_mnist_test_seq(tmp_path / "bad.npy")
    with pytest.raises(MNISTUnavailableError, match="MovingDigits"):
        load_moving_mnist_test_seq(os.path.join(tmp_path, "nope.npy"))

import os

import numpy as np
import pytest

from vidgen_tf.data import (MNISTUnavailableError, MovingMNIST, load_mnist,
                            load_moving_mnist_test_seq, render_digits)


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


def test_offline_without_cache_names_the_embedded_alternative():
    # A real attempt through Keras: on this machine nothing is cached and there is no network.
    try:
        load_mnist()
    except MNISTUnavailableError as error:
        assert "MovingDigits" in str(error) and "mnist.npz" in str(error)
    else:
        pytest.skip("MNIST is cached or could be downloaded on this machine")


def test_no_download_means_no_network():
    from vidgen_tf.data.moving_mnist import _keras_home

    if os.path.exists(os.path.join(_keras_home(), "datasets", "mnist.npz")):
        pytest.skip("MNIST is cached on this machine")
    with pytest.raises(MNISTUnavailableError, match=r"download=False.*MovingDigits"):
        MovingMNIST(download=False)


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

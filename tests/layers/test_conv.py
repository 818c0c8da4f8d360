"""Video building blocks: values against NumPy, invariants, and the shared harness."""

import numpy as np
import pytest

from tests.harness import conv_params, norm_params, run_model_test
from vidgen_tf.layers import Conv2Plus1D, DepthToSpace3D, ResidualBlock3D, SpaceToDepth3D

RNG = np.random.default_rng(0)


def test_space_to_depth_moves_each_block_into_channels():
    x = RNG.normal(size=(2, 4, 6, 8, 3)).astype("float32")
    y = np.asarray(SpaceToDepth3D((2, 3, 4))(x))
    assert y.shape == (2, 2, 2, 2, 2 * 3 * 4 * 3)
    # channel index (i, j, k, c) of block (t, h, w) holds x[t*2+i, h*3+j, w*4+k, c]
    for (t, h, w, i, j, k, c) in [(0, 0, 0, 0, 0, 0, 0), (1, 1, 0, 1, 2, 3, 2), (0, 1, 1, 1, 0, 2, 1)]:
        channel = ((i * 3 + j) * 4 + k) * 3 + c
        assert y[1, t, h, w, channel] == x[1, t * 2 + i, h * 3 + j, w * 4 + k, c]


def test_depth_to_space_inverts_space_to_depth():
    x = RNG.normal(size=(1, 4, 8, 8, 2)).astype("float32")
    y = SpaceToDepth3D((2, 4, 4))(x)
    np.testing.assert_array_equal(DepthToSpace3D((2, 4, 4))(y), x)


def test_blocks_reject_sizes_that_do_not_divide():
    with pytest.raises(ValueError, match="not divisible"):
        SpaceToDepth3D((1, 3, 3))(np.zeros((1, 2, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="not divisible"):
        DepthToSpace3D(2)(np.zeros((1, 2, 2, 2, 6), "float32"))
    with pytest.raises(ValueError, match="three positive ints"):
        SpaceToDepth3D((1, 2))


def test_conv2plus1d_equals_its_two_convolutions():
    import tensorflow as tf

    layer = Conv2Plus1D(5, kernel_size=(3, 3, 3), strides=(2, 2, 2), mid_filters=4,
                        activation=None)
    x = RNG.normal(size=(2, 8, 8, 8, 3)).astype("float32")
    y = np.asarray(layer(x))
    assert y.shape == (2, 4, 4, 4, 5)
    spatial = tf.nn.conv3d(x, layer.spatial.kernel, (1, 1, 2, 2, 1), "SAME") + layer.spatial.bias
    expected = tf.nn.conv3d(spatial, layer.temporal.kernel, (1, 2, 1, 1, 1), "SAME") \
        + layer.temporal.bias
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert tuple(layer.spatial.kernel.shape) == (1, 3, 3, 3, 4)
    assert tuple(layer.temporal.kernel.shape) == (3, 1, 1, 4, 5)


def test_residual_block_is_the_identity_when_its_last_convolution_is_zero():
    block = ResidualBlock3D(8, groups=4)
    x = RNG.normal(size=(2, 2, 4, 4, 8)).astype("float32")
    block(x)
    block.conv2.kernel.assign(np.zeros(block.conv2.kernel.shape, "float32"))
    np.testing.assert_allclose(block(x), x, atol=1e-6)
    assert block.skip is None


def test_residual_block_projects_the_skip_when_channels_change():
    block = ResidualBlock3D(8, kind="2plus1d", groups=4)
    x = RNG.normal(size=(1, 2, 4, 4, 4)).astype("float32")
    assert block(x).shape == (1, 2, 4, 4, 8)
    assert tuple(block.skip.kernel.shape) == (1, 1, 1, 4, 8)
    # with the residual branch's last convolution zeroed the block is its 1x1x1 projection
    for variable in block.conv2.weights:
        variable.assign(np.zeros(variable.shape, "float32"))
    block.skip.bias.assign(RNG.normal(size=8).astype("float32"))
    kernel, bias = np.asarray(block.skip.kernel)[0, 0, 0], np.asarray(block.skip.bias)
    np.testing.assert_allclose(block(x), x @ kernel + bias, atol=1e-5)
    with pytest.raises(ValueError, match="groups=3"):
        ResidualBlock3D(8, groups=3)(np.zeros((1, 2, 4, 4, 6), "float32"))
    with pytest.raises(ValueError, match="kind"):
        ResidualBlock3D(8, kind="conv4d")


# (layer, input shape, output shape, trainable parameters counted by hand)
CONTRACT = {
    "space_to_depth": (lambda: SpaceToDepth3D((1, 2, 2)), (2, 2, 4, 4, 3), (2, 2, 2, 2, 12), 0),
    "depth_to_space": (lambda: DepthToSpace3D((1, 2, 2)), (2, 2, 4, 4, 8), (2, 2, 8, 8, 2), 0),
    # spatial (1, 3, 3) 3 -> 6 channels, then temporal (3, 1, 1) 6 -> 6
    "conv2plus1d": (lambda: Conv2Plus1D(6, strides=(1, 2, 2)), (2, 2, 4, 4, 3),
                    (2, 2, 2, 2, 6), conv_params((1, 3, 3), 3, 6) + conv_params((3, 1, 1), 6, 6)),
    # norm(3), 3x3x3 conv 3 -> 6, norm(6), 3x3x3 conv 6 -> 6, 1x1x1 skip 3 -> 6
    "residual_block": (lambda: ResidualBlock3D(6, groups=3), (2, 2, 4, 4, 3), (2, 2, 4, 4, 6),
                       norm_params(3) + conv_params(27, 3, 6) + norm_params(6)
                       + conv_params(27, 6, 6) + conv_params(1, 3, 6)),
}


@pytest.mark.parametrize("name", CONTRACT)
def test_layer_contract(name, tmp_path):
    make, in_shape, shape, params = CONTRACT[name]
    x = RNG.normal(size=in_shape).astype("float32")
    run_model_test(make(), x, {"output": shape}, trainable_params=params, loss="mse",
                   targets=np.zeros((2,) + shape[1:], "float32"), tmp_path=tmp_path,
                   fit=params > 0)


def test_hand_counts_are_those_of_the_layers():
    """The counting helpers, once against numbers written out."""
    assert CONTRACT["conv2plus1d"][3] == (9 * 3 * 6 + 6) + (3 * 6 * 6 + 6) == 282
    assert CONTRACT["residual_block"][3] == 6 + (81 * 6 + 6) + 12 + (162 * 6 + 6) + (18 + 6)

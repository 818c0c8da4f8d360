"""Video building blocks: values against NumPy, invariants, and the shared harness."""

import numpy as np
import pytest

import keras

from tests.harness import conv_params, norm_params, run_model_test
from vidgen_tf.layers import (CausalConv3D, Conv2Plus1D, DepthToSpace3D, FrameGroupNormalization,
                              ResidualBlock3D, SpaceToDepth3D)

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
    "causal_conv": (lambda: CausalConv3D(5, (3, 3, 1)), (2, 3, 4, 4, 2), (2, 3, 4, 4, 5),
                    conv_params((3, 3, 1), 2, 5)),
    "frame_group_norm": (lambda: FrameGroupNormalization(2), (2, 3, 4, 4, 4), (2, 3, 4, 4, 4),
                         norm_params(4)),
    # the same counts as the residual block: only the padding and the norm's extent differ
    "causal_residual_block": (lambda: ResidualBlock3D(6, kind="causal", groups=3),
                              (2, 3, 4, 4, 3), (2, 3, 4, 4, 6),
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


def test_causal_conv3d_is_a_conv3d_over_the_past_frames_only():
    """Its output at frame t is Conv3D "valid" over zero-padded frames t-2 .. t; changing
    frames after t changes nothing up to t, while a "same" Conv3D would see frame t+1."""
    x = RNG.normal(size=(2, 5, 4, 4, 2)).astype("float32")
    layer = CausalConv3D(3, 3)
    out = np.asarray(layer(x))
    kernel, bias = (np.asarray(w) for w in layer.conv.weights)
    padded = np.pad(x, [(0, 0), (2, 0), (1, 1), (1, 1), (0, 0)])
    expected = np.zeros_like(out)
    for t in range(5):
        for i in range(4):
            for j in range(4):
                window = padded[:, t:t + 3, i:i + 3, j:j + 3]           # (B, 3, 3, 3, 2)
                expected[:, t, i, j] = np.einsum("bthwc,thwco->bo", window, kernel) + bias
    # float32 sums of 54 products: rounding of a few 1e-7
    np.testing.assert_allclose(out, expected, atol=1e-5)
    for t in range(4):
        changed = x.copy()
        changed[:, t + 1:] = RNG.normal(size=changed[:, t + 1:].shape)
        np.testing.assert_array_equal(np.asarray(layer(changed))[:, :t + 1], out[:, :t + 1])
    same = keras.layers.Conv3D(3, 3, padding="same")
    same.build(x.shape)
    changed = x.copy()
    changed[:, 3:] += 1.0
    assert not np.allclose(np.asarray(same(changed))[:, 2], np.asarray(same(x))[:, 2])
    with pytest.raises(ValueError, match="spatial kernel must be odd"):
        CausalConv3D(3, (3, 2, 3))


def test_frame_group_norm_normalises_each_frame_alone():
    x = RNG.normal(size=(2, 3, 4, 4, 4)).astype("float32") * np.arange(1, 4)[None, :, None,
                                                                            None, None]
    out = np.asarray(FrameGroupNormalization(2, epsilon=1e-3)(x))
    groups = x.reshape(2, 3, 4, 4, 2, 2)
    mean = groups.mean(axis=(2, 3, 5), keepdims=True)
    var = groups.var(axis=(2, 3, 5), keepdims=True)
    expected = ((groups - mean) / np.sqrt(var + 1e-3)).reshape(x.shape)
    np.testing.assert_allclose(out, expected, atol=1e-5)      # float32 mean and variance


def test_a_causal_residual_block_never_reads_later_frames():
    x = RNG.normal(size=(1, 6, 4, 4, 4)).astype("float32")
    for kind, causal in (("causal", True), ("conv3d", False)):
        block = ResidualBlock3D(4, kind=kind, groups=2)
        out = np.asarray(block(x))
        changed = x.copy()
        changed[:, 3:] = RNG.normal(size=changed[:, 3:].shape)
        unchanged = np.array_equal(np.asarray(block(changed))[:, :3], out[:, :3])
        assert unchanged == causal, kind        # the clip-wide block does read them

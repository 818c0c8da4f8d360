"""FLOPs counted from a traced train step, against hand counts."""

import platform

import numpy as np
import pytest

import keras
from vidgen_tf.bench.flops import cpu_model, matmul_peak_gflops, train_step_flops


def test_a_dense_network_step_is_counted_by_hand():
    """x (8, 5) -> Dense(7) -> Dense(3), mean squared error. Forward: 2*8*5*7 + 2*8*7*3 FLOPs.
    Backward: both kernels' gradients (the same counts again) and the gradient through the
    second layer into the first (2*8*3*7); none into the input data."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 5), np.float32)
    y = np.zeros((8, 3), np.float32)
    first, second = 2 * 8 * 5 * 7, 2 * 8 * 7 * 3
    counted = train_step_flops(model, (x, y))
    assert counted == {"always": 2 * first + 3 * second, "branches": {}, "unknown": 0}


def test_a_conv3d_step_is_counted_by_hand():
    """Conv3D(4, kernel 3, 'same') on (2, 4, 6, 6, 2): 2 * (2*4*6*6*4 outputs) * (27 * 2 taps)
    forward, the same for the kernel's gradient; no gradient into the input data."""
    model = keras.Sequential([keras.Input((4, 6, 6, 2)),
                              keras.layers.Conv3D(4, 3, padding="same")])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((2, 4, 6, 6, 2), np.float32)
    y = np.zeros((2, 4, 6, 6, 4), np.float32)
    forward = 2 * (2 * 4 * 6 * 6 * 4) * (27 * 2)
    assert train_step_flops(model, (x, y))["always"] == 2 * forward


@pytest.mark.slow
def test_a_gan_step_counts_its_lazy_r1_branch_apart():
    """The R1 penalty runs under a conditional every r1_every steps: its FLOPs (the
    discriminators' input gradient and its own gradient) are counted as branches, apart from
    the step's; without R1 there is no branch."""
    from tests.training import tiny_models

    with_r1 = tiny_models.compile_for_test(tiny_models.build("sprite_gan"))
    batch = tiny_models.batch("", with_r1)
    counted = train_step_flops(with_r1, batch)
    assert counted["unknown"] == 0 and counted["always"] > 0
    assert counted["branches"] and all(v > 0 for v in counted["branches"].values())
    # the penalty's forward-and-input-gradient costs at least one discriminator forward
    # pass, so its branches add up to a sizeable share of the step
    assert sum(counted["branches"].values()) > 0.1 * counted["always"]


def test_machine_figures_are_plausible():
    # the CPU as /proc/cpuinfo names it, with the vector extensions it lists
    try:
        with open("/proc/cpuinfo") as f:
            info = [line.partition(":") for line in f]
    except OSError:
        pytest.skip("no /proc/cpuinfo")
    names = [v.strip() for k, _, v in info if k.strip() == "model name"]
    flag_lines = [v for k, _, v in info if k.strip() == "flags"]
    if not names or not flag_lines:                  # e.g. many ARM machines
        pytest.skip("/proc/cpuinfo names no model or flags here")
    name, flags = names[0], set(flag_lines[0].split())
    shown = sorted(flags & {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "avx512_vnni", "fma"})
    processor = platform.processor()       # generic ("x86_64", "") on most Linux machines
    named = name if processor in ("", "unknown", platform.machine()) else processor
    assert cpu_model() == named + (f" ({', '.join(shown)})" if shown else "")
    peak = matmul_peak_gflops(size=256, repeats=3)
    # a 256x256 matmul: above 0.1 GFLOP/s on any machine of this century, below 1e5 on a CPU
    assert 0.1 < peak < 1e5

"""The GAN's networks saved alone (``gan.generator.save(path)``) reload in a fresh process
under Keras' default ``safe_mode`` and give the same outputs: no ``Lambda`` layers, only
registered layers of the package."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np

from tests.harness import REPO
from vidgen_tf.models import VideoGAN
from vidgen_tf.models.gan import GENERATORS

RNG = np.random.default_rng(0)
SHAPE = (4, 16, 16, 1)
CONDITIONAL = dict(generator="sprite", num_sprites=2, num_classes=10, class_weight=1.0)


def networks():
    """``{name: (network, inputs)}``: each generator kind, and a conditional GAN's three
    networks (label embeddings, projection logits, the auxiliary classifier's two outputs)."""
    z = RNG.normal(size=(3, 8)).astype("float32")
    videos = RNG.uniform(-1, 1, (3,) + SHAPE).astype("float32")
    labels = np.array([[1, -1], [3, 4], [9, 9]], "int32")
    small = dict(latent_dim=8, generator_width=32, discriminator_width=8)
    found = {}
    for kind in GENERATORS:
        found[kind] = (VideoGAN(SHAPE, generator=kind, **small).generator, [z])
    gan = VideoGAN(SHAPE, **CONDITIONAL, **small)
    found["conditional_generator"] = (gan.generator, [z, labels])
    found["conditional_video_discriminator"] = (gan.discriminator, [videos, labels])
    found["conditional_frame_discriminator"] = (gan.frame_discriminator,
                                                [videos[:, 0], labels])
    return found


def _outputs(network, inputs):
    out = network(inputs if len(inputs) > 1 else inputs[0], training=False)
    return [np.asarray(v) for v in (out if isinstance(out, (list, tuple)) else [out])]


def test_networks_have_no_lambda_layers():
    for name, (network, _) in networks().items():
        lambdas = [layer.name for layer in network.layers
                   if type(layer).__name__ == "Lambda"]
        assert not lambdas, f"{name}: Lambda layers {lambdas} do not reload in safe_mode"


def test_saved_networks_reload_in_a_fresh_process_with_the_same_outputs(tmp_path):
    """Each generator kind, and the conditional GAN's three networks."""
    expected, jobs = {}, {}
    built = networks()
    names = sorted(built)
    assert set(GENERATORS) < set(names)
    for name in names:
        network, inputs = built[name]
        path = str(tmp_path / f"{name}.keras")
        network.save(path)
        np.savez(str(tmp_path / f"{name}_inputs.npz"), *inputs)
        expected[name] = _outputs(network, inputs)
        jobs[name] = (path, str(tmp_path / f"{name}_inputs.npz"))
    # one fresh process for all (each start of TensorFlow costs seconds); the package is
    # imported, as a notebook would, but nothing of it is passed to load_model
    script = textwrap.dedent(f"""
        import json, numpy as np, keras
        import vidgen_tf.layers       # registers the package's layers
        result = {{}}
        for name, (path, inputs) in json.loads({json.dumps(json.dumps(jobs))}).items():
            model = keras.models.load_model(path)            # safe_mode=True, the default
            arrays = np.load(inputs)
            inputs = [arrays[f"arr_{{i}}"] for i in range(len(arrays.files))]
            out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
            out = out if isinstance(out, (list, tuple)) else [out]
            result[name] = [np.asarray(v).tolist() for v in out]
        print("RESULT " + json.dumps(result))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=REPO, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert run.returncode == 0, run.stderr[-3000:]
    line = [ln for ln in run.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    reloaded = json.loads(line[len("RESULT "):])
    for name in names:
        assert len(reloaded[name]) == len(expected[name]), name
        for got, want in zip(reloaded[name], expected[name]):
            np.testing.assert_allclose(np.asarray(got), want, atol=1e-6, err_msg=name)

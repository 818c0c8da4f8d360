"""Dependencies point one way (DESIGN.md section 2): every import in the package, at module
level or inside a function, is read from the source and checked against the layers.

    config, precision, registry, install, weights   (the base: no other sub-package)
    data, layers, losses          (no models, training, metrics, viz, course, bench)
    models                        (no training, metrics, viz, course, bench)
    training, metrics, viz, course, bench, __main__   (above the models)
"""

import ast
import os

import pytest

from tests.harness import REPO

PACKAGE = "vidgen_tf"
SUBPACKAGES = ("data", "layers", "losses", "models", "training", "metrics", "viz", "course",
               "bench", "weights")
ABOVE_MODELS = ("training", "metrics", "viz", "course", "bench")
FORBIDDEN = {
    "config": SUBPACKAGES,
    "precision": SUBPACKAGES,
    "registry": SUBPACKAGES,
    "install": tuple(p for p in SUBPACKAGES if p != "weights"),   # reads config only
    "weights": tuple(p for p in SUBPACKAGES if p != "weights"),   # shipped files, base
    "data": ("models",) + ABOVE_MODELS,
    "layers": ("models",) + ABOVE_MODELS,
    "losses": ("models",) + ABOVE_MODELS,
    "models": ABOVE_MODELS,
}


def module_name(path):
    """``vidgen_tf/models/gan.py`` -> ``vidgen_tf.models.gan`` (a package's ``__init__.py``:
    the package)."""
    parts = os.path.relpath(path, REPO)[:-len(".py")].split(os.sep)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(node, module, is_package):
    """The module an ``ImportFrom`` names, relative imports resolved."""
    if not node.level:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _dynamic(node):
    """The module of ``importlib.import_module("...")`` (an f-string: its constant head)."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return arg.values[0].value.rstrip(".")
    return None


def imports_of(source, module, is_package=False):
    """Every ``(line, imported module)`` of ``source``, at any depth (functions, methods,
    ``if TYPE_CHECKING`` blocks) and ``importlib.import_module`` calls with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            found.append((node.lineno, base))
            # ``from vidgen_tf import models`` imports the sub-package ``models``
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                      if base == PACKAGE]
        elif isinstance(node, ast.Call):
            name = _dynamic(node)
            if name:
                found.append((node.lineno, name))
    return found


def layer_of(module):
    """``vidgen_tf.models.gan`` -> ``"models"``; ``vidgen_tf.config`` -> ``"config"``;
    ``vidgen_tf`` -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PACKAGE else None


def violations(source, module, is_package=False):
    """``["module:line imports name"]`` for the imports of ``source`` that run up the
    layers."""
    forbidden = FORBIDDEN.get(layer_of(module), ())
    return [f"{module}:{line} imports {name}" for line, name in
            imports_of(source, module, is_package) if layer_of(name) in forbidden]


def package_modules():
    for folder, _, names in os.walk(os.path.join(REPO, PACKAGE)):
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def test_no_import_runs_up_the_layers():
    found = []
    for path in package_modules():
        with open(path, encoding="utf-8") as f:
            found += violations(f.read(), module_name(path), path.endswith("__init__.py"))
    assert not found, "imports against DESIGN.md section 2:\n" + "\n".join(found)


def test_every_subpackage_has_a_rule_or_sits_above_the_models():
    on_disk = {name for name in os.listdir(os.path.join(REPO, PACKAGE))
               if os.path.isfile(os.path.join(REPO, PACKAGE, name, "__init__.py"))}
    assert on_disk <= set(SUBPACKAGES), f"new sub-package(s) {on_disk - set(SUBPACKAGES)}: " \
                                        f"give them a place in FORBIDDEN"


@pytest.mark.parametrize("source, module, expected", [
    # an import inside a method counts as much as one at the top
    ("def compile(self):\n    from vidgen_tf.training.precision import scaled_optimizer\n",
     "vidgen_tf.models.gan", ["vidgen_tf.models.gan:2 imports vidgen_tf.training.precision"]),
    ("import vidgen_tf.viz as viz\n", "vidgen_tf.layers.conv",
     ["vidgen_tf.layers.conv:1 imports vidgen_tf.viz"]),
    ("from vidgen_tf import metrics\n", "vidgen_tf.losses.vae",
     ["vidgen_tf.losses.vae:1 imports vidgen_tf.metrics"]),
    ("from ..training import recipes\n", "vidgen_tf.models.vae",
     ["vidgen_tf.models.vae:1 imports vidgen_tf.training"]),
    ("import importlib\nimportlib.import_module(f'vidgen_tf.models.{name}')\n",
     "vidgen_tf.data.pipeline", ["vidgen_tf.data.pipeline:2 imports vidgen_tf.models"]),
    ("from vidgen_tf.layers import PlaceSprites\nfrom vidgen_tf.precision import POLICIES\n",
     "vidgen_tf.models.gan", []),
    ("from vidgen_tf.models import VideoVAE\n", "vidgen_tf.training.vae_recipe", []),
    ("from vidgen_tf.layers import conv\n", "vidgen_tf.config",
     ["vidgen_tf.config:1 imports vidgen_tf.layers"]),
])
def test_the_checker_finds_imports_at_any_depth(source, module, expected):
    assert violations(source, module) == expected


def test_relative_imports_of_a_package_init():
    assert imports_of("from .gan import VideoGAN\n", "vidgen_tf.models", is_package=True) == [
        (1, "vidgen_tf.models.gan")]

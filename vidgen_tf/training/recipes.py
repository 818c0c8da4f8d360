"""Recipes: what ``python -m vidgen_tf train MODEL`` trains, on what, for how long.

A recipe bundles, per profile, the model (built and compiled), its data stream, the number of
steps, what the sample monitor shows and how the final model is scored. Lessons and the
benchmarks use the same recipes, so a lesson's numbers are the CLI's numbers.

Recipes are registered by name in ``RECIPES`` (a ``vidgen_tf.registry.Registry``) with
``register``; ``get_recipe(name)`` looks one up (the built-in recipes' modules are imported
on the first lookup).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from vidgen_tf.registry import Registry


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How to train one model.

    Attributes:
        name: str. The CLI name.
        description: str. One line.
        build: ``profile -> model``, compiled, with its optimizers built (called inside the
            strategy's scope). A build that takes a ``steps`` keyword is given the run's
            total steps (for a schedule over the whole run: ``run.train(steps=...)``
            stretches it).
        data: ``(profile, first_step) -> tf.data.Dataset`` of training batches, starting
            at the batch of step ``first_step``.
        steps: ``profile -> int``. Total optimizer steps.
        steps_per_epoch: ``profile -> int``. Steps between checkpoints and sample grids.
        batch_size: ``profile -> int``. Global batch size.
        monitor: ``(model, profile) -> videos`` for the sample grid.
        evaluate: ``(model, profile) -> dict`` of final scores.
        finish: optional ``(model, profile) -> None``, run once training ends and before
            the model is saved and evaluated (with averaged weights under EMA): a step that
            is not an optimizer step, such as fitting a VAE's prior to the codes of the
            training clips. It must give the same result when run again. (The sample
            grids written during training come before it: a VAE's are from ``N(0, I)``.)
        ema_decay: optional float: keep an average of ``ema_attribute``'s weights.
        ema_attribute: optional str or tuple of str: the sub-model(s) averaged (None: the
            whole model).
        seed: int.
        variant_of: optional str. The recipe this one repeats with other numbers only (a
            loss weight): the same model, data and code paths, so the tests that build and
            step every recipe take the first and skip its variants (``tested_recipes``).
    """

    name: str
    description: str
    build: Callable
    data: Callable
    steps: Callable
    steps_per_epoch: Callable
    batch_size: Callable
    monitor: Callable
    evaluate: Callable
    ema_decay: float | None = None
    ema_attribute: str | tuple | None = None
    seed: int = 0
    variant_of: str | None = None
    finish: Callable | None = None


def _import_builtin():
    import vidgen_tf.training.gan_recipe  # noqa: F401  registers "gan"
    import vidgen_tf.training.sprite_vae_recipe  # noqa: F401  "sprite-vae", "...-unconditional"
    import vidgen_tf.training.frame_vae_recipe  # noqa: F401  "frame-vae-beta1", ...
    import vidgen_tf.training.vae_recipe  # noqa: F401  registers "vae", "vae-digits-1-32"
    import vidgen_tf.training.mocogan_recipe  # noqa: F401  registers "mocogan"
    import vidgen_tf.training.prediction_recipe  # noqa: F401  "convlstm", "simvp"
    import vidgen_tf.training.vqvae_recipe  # noqa: F401  registers "vqvae"
    import vidgen_tf.training.videogpt_recipe  # noqa: F401  registers "videogpt"


# a recipe registered again replaces the first (a notebook cell run twice); the built-in
# recipes' modules are imported at the first lookup
RECIPES = Registry("recipe", replace=True, load=_import_builtin)


def register(recipe):
    """Add ``recipe`` to ``RECIPES`` (by its name) and return it."""
    return RECIPES.register(recipe.name, recipe)


def get_recipe(recipe):
    """The recipe called ``recipe`` (a ``Recipe`` is returned as is).

    Raises:
        ValueError: no such recipe (``registry.UnknownName``, which lists the names).
    """
    if isinstance(recipe, Recipe):
        return recipe
    return RECIPES.get(recipe)


def tested_recipes():
    """The names of the registered recipes that are not a ``variant_of`` another, sorted."""
    RECIPES.load()
    for name in RECIPES:
        original = RECIPES[name].variant_of
        if original is not None and (original not in RECIPES
                                     or RECIPES[original].variant_of is not None):
            raise ValueError(f"Recipe {name!r}: variant_of={original!r} must name a registered "
                             f"recipe that is not itself a variant.")
    return sorted(name for name in RECIPES if RECIPES[name].variant_of is None)


# its name starts with "test": pytest would collect it as a test where a test module imports it
tested_recipes.__test__ = False


def _load_builtin():
    """Import the built-in recipes (``RECIPES`` does it at its first lookup)."""
    RECIPES.load()


def warmup_cosine_adam(steps, peak, **options):
    """Adam with a linear warm-up from ``peak / 25`` over the first 5 % of ``steps`` (as
    OpenSTL's one-cycle schedule starts), then a cosine decay to 0 at the last step;
    ``options`` go to ``keras.optimizers.Adam``."""
    import keras

    warmup = max(1, int(0.05 * steps))
    schedule = keras.optimizers.schedules.CosineDecay(
        peak / 25, decay_steps=max(1, steps - warmup), alpha=0.0, warmup_target=peak,
        warmup_steps=warmup)
    return keras.optimizers.Adam(schedule, **options)


def synthetic_stream(source, batch_size, first_step):
    """Batches of a synthetic dataset's endless stream, from the batch of ``first_step``."""
    from vidgen_tf.data import make_dataset

    return make_dataset(source, batch_size, start=first_step * batch_size, shuffle=False)


def heldout_psnr(reconstruct, videos, batch_size=32, labels=None):
    """Mean clip PSNR (dB) of ``reconstruct(videos)`` against ``videos`` (float in [-1, 1]);
    with ``labels`` (one row per clip), ``reconstruct(chunk, labels_of_chunk)``."""
    from vidgen_tf.metrics import psnr

    values = []
    for i in range(0, len(videos), batch_size):
        chunk = videos[i:i + batch_size]
        args = () if labels is None else (labels[i:i + batch_size],)
        values.append(np.asarray(psnr(chunk, np.asarray(reconstruct(chunk, *args)))))
    return float(np.mean(np.concatenate(values)))


def sample_in_batches(generate, num, batch_size=64, labels=None, seed=None):
    """``num`` samples from ``generate(n)`` (float videos), drawn ``batch_size`` at a time.

    With ``labels (num, ...)``, batch ``k`` is ``generate(n, labels=labels[k * batch_size:
    ...])``; with an int ``seed``, it gets ``seed=seed + k`` (repeatable samples)."""
    parts = []
    for k, start in enumerate(range(0, num, batch_size)):
        n = min(batch_size, num - start)
        options = {} if seed is None else {"seed": seed + k}
        if labels is not None:
            options["labels"] = labels[start:start + n]
        parts.append(np.asarray(generate(n, **options)))
    return np.concatenate(parts)[:num]

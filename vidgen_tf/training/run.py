"""One training run in a run folder, resumable (lessons 01 and 02; the CLI's ``train``).

``train(recipe, profile, out)`` builds the recipe's model inside the distribution strategy's
scope, restores the newest checkpoint of ``out`` when ``resume`` is set, trains with
``model.fit`` in epochs of ``recipe.steps_per_epoch`` steps (one checkpoint per epoch, so an
interrupted run loses at most one epoch), and leaves in ``out``:

```
config.json        what was run (recipe, profile, steps, strategy)
checkpoints/       the last two checkpoints (see ``checkpoints``)
logs/              TensorBoard logs (``tensorboard --logdir runs``)
samples/           a GIF grid of samples per epoch
history.json       the logged losses, one entry per epoch
model.keras        the final model (with averaged weights when the recipe uses EMA)
metrics.json       training time, steps/s and the recipe's evaluation scores
```

The data stream is addressable: epoch ``e`` of a run always sees the same clips, so a
resumed run sees exactly what an uninterrupted one would have.
"""

from __future__ import annotations

import inspect
import json
import os
import time
import zipfile

import keras

from vidgen_tf.training.callbacks import (Checkpointer, SampleMonitor, StopOnNonFinite,
                                          TimeBudget, WeightsEMA)
from vidgen_tf.training.checkpoints import list_checkpoints, restore_latest
from vidgen_tf.training.precision import set_precision
from vidgen_tf.training.strategy import get_strategy


class RunFolderError(RuntimeError):
    """The run folder holds another run, or a run that cannot be continued."""


def _read_json(path):
    """The value in the JSON file ``path``.

    Raises:
        OSError: the file cannot be opened.
        ValueError: the file is not JSON; the message names it.
    """
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a valid JSON file ({error}).") from error


def _write_json(path, value):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(temporary, path)


def _check_out_path(out):
    """Raise a ``RunFolderError`` when the run folder ``out`` cannot be a folder or be created."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise RunFolderError(
            f"--out {out} is a file; a run folder is expected there. Give the path of a "
            f"folder (it is created when missing), e.g. runs/<model>.")
    existing = os.path.abspath(out)
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        raise RunFolderError(
            f"Cannot create the run folder {out}: {existing} is a file, and a folder was "
            f"expected there. Choose an --out whose parent folders are folders.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunFolderError(
            f"Cannot write to {existing} (no permission), so the run folder {out} cannot be "
            f"{'written' if existing == os.path.abspath(out) else 'created'}. Choose an --out "
            f"in a folder you can write to.")


def _check_folder(out, config, resume):
    """Check that ``out`` can hold this run: a folder (or a path where one can be created)
    that holds no run, or, with ``resume``, the same run.

    Args:
        out: str. The run folder.
        config: dict. The run's settings, as written to ``config.json``.
        resume: bool. Whether an existing run may be continued.

    Raises:
        RunFolderError: ``out`` is a file or cannot be created; it holds another run (or any
            run, without ``resume``); its ``config.json`` cannot be read or is not a dict of
            settings. The message names the folder or file and what to do.
    """
    _check_out_path(out)
    path = os.path.join(out, "config.json")
    if not os.path.exists(path):
        return
    try:
        saved = _read_json(path)
    except (OSError, ValueError) as error:
        raise RunFolderError(
            f"{path} (the settings of the run in {out}) cannot be read: {error} It is "
            f"written by `python -m vidgen_tf train`: if the run is worth keeping, put back "
            f"the file from a copy; otherwise remove {out} or choose another --out."
        ) from error
    if not isinstance(saved, dict):
        raise RunFolderError(
            f"{path} must hold a JSON object of settings such as {{\"recipe\": \"vae\", "
            f"\"profile\": \"smoke\", ...}}; it holds a {type(saved).__name__}. Remove {out} "
            f"or choose another --out.")
    if not resume:
        raise RunFolderError(
            f"{out} already holds a run ({saved.get('recipe')}, profile "
            f"{saved.get('profile')}); pass --resume to continue it, or choose another --out.")
    keys = ("recipe", "profile", "steps_per_epoch", "batch_size")   # steps may grow
    changed = {k: (saved.get(k), config[k]) for k in keys if saved.get(k) != config[k]}
    if changed:
        raise RunFolderError(
            f"Cannot resume {out}: it was started with other settings "
            + ", ".join(f"{k}={old!r} (now {new!r})" for k, (old, new) in changed.items())
            + ". Use the same command, or another --out.")


def _finished_metrics(out, state, epochs):
    """The saved ``metrics.json`` of a run whose last checkpoint is its final epoch and whose
    final model and scores were written (None otherwise: the run goes on, or is scored)."""
    path = os.path.join(out, "metrics.json")
    if not state or state["epoch"] < epochs or not os.path.exists(path) or not os.path.exists(
            os.path.join(out, "model.keras")):
        return None
    try:
        metrics = _read_json(path)
    except (OSError, ValueError):
        return None             # unreadable: score the restored model again
    return metrics if isinstance(metrics, dict) and metrics.get("epochs") == state[
        "epoch"] else None


def _finish(recipe, model, profile, ema=None):
    """The recipe's ``finish`` step (none: nothing), with ``ema``'s averaged weights applied
    when given."""
    if recipe.finish is None:
        return
    if ema:
        with ema.applied():
            recipe.finish(model, profile)
    else:
        recipe.finish(model, profile)


def train(recipe, profile, out, resume=False, steps=None, strategy="auto", time_budget=None,
          verbose="auto", show_samples=False):
    """Train ``recipe`` at ``profile`` into the run folder ``out``.

    Args:
        recipe: a ``Recipe`` or its name (see ``recipes.RECIPES``).
        profile: a ``Profile`` or its name.
        out: str. The run folder.
        resume: bool. Continue from the newest checkpoint of ``out`` if there is one (a
            fresh folder starts from scratch). A finished run (its last checkpoint is the
            final epoch, its ``model.keras`` and ``metrics.json`` written) is loaded, not
            trained or scored again: its saved metrics are returned, in seconds. Without
            ``resume``, an existing run is an error.
        steps: optional int. Total optimizer steps (default: the recipe's for the profile);
            rounded up to whole epochs. A recipe whose ``build`` takes ``steps`` (a schedule
            over the whole run) is built with it.
        strategy: a name for ``get_strategy``, or a ``tf.distribute.Strategy``.
        time_budget: optional float. Seconds after which training ends at an epoch's end.
        verbose: Keras ``fit`` verbosity (progress bars by default).
        show_samples: bool. Show the sample grids inline (in a notebook).

    Returns:
        ``(model, metrics)``: the trained model (its raw weights; with EMA, the averaged ones
        are in ``model.keras``) and the dict written to ``metrics.json``.
    """
    from vidgen_tf.config import get_profile, seed_everything
    from vidgen_tf.training.recipes import get_recipe

    recipe = get_recipe(recipe)
    profile = get_profile(profile) if isinstance(profile, str) or profile is None else profile
    per_epoch = recipe.steps_per_epoch(profile)
    total = int(steps if steps is not None else recipe.steps(profile))
    epochs = max(1, -(-total // per_epoch))
    config = {"recipe": recipe.name, "profile": profile.name, "steps": epochs * per_epoch,
              "steps_per_epoch": per_epoch, "batch_size": recipe.batch_size(profile),
              "precision": profile.precision, "jit_compile": profile.jit_compile}
    _check_folder(out, config, resume)
    os.makedirs(out, exist_ok=True)
    strategy = get_strategy(strategy) if isinstance(strategy, str) else strategy
    config["strategy"] = type(strategy).__name__
    config["replicas"] = int(strategy.num_replicas_in_sync)
    config_path = os.path.join(out, "config.json")
    if not (os.path.exists(config_path) and _read_json(config_path) == config):
        _write_json(config_path, config)        # a run started again leaves its folder as is

    seed_everything(recipe.seed)
    set_precision(profile)
    try:
        # a recipe whose schedule depends on the length of training (a cosine decay, a
        # scheduled-sampling ramp) takes it: a longer run stretches its schedule
        takes_steps = "steps" in inspect.signature(recipe.build).parameters
        with strategy.scope():
            model = recipe.build(profile, **({"steps": config["steps"]} if takes_steps
                                             else {}))
        ema = WeightsEMA(recipe.ema_decay, attribute=recipe.ema_attribute) \
            if recipe.ema_decay else None
        if ema:
            ema.set_model(model)    # also when fit does not run (a finished run, reloaded)
        checkpoints = os.path.join(out, "checkpoints")
        extra = {"ema": ema} if ema else None
        state = restore_latest(model, checkpoints, extra=extra) if resume else None
        initial_epoch = state["epoch"] if state else 0
        finished = _finished_metrics(out, state, epochs)
        if finished is not None:
            _finish(recipe, model, profile, ema)          # as the saved model.keras
            print(f"{out} is complete ({finished['steps']} steps): loaded its last checkpoint; "
                  f"its scores are those of metrics.json. Use another --out (or remove "
                  f"{out}) to train again.")
            return model, finished
        if state:
            print(f"Resumed {out} from epoch {initial_epoch} (optimizer step {state['step']}).")
        history_path = os.path.join(out, "history.json")
        history = _read_json(history_path)[:initial_epoch] if (
            state and os.path.exists(history_path)) else []

        # the history is written before the checkpoint: a run killed between the two
        # resumes from the older checkpoint and drops the newer history entry
        callbacks = [StopOnNonFinite(checkpoints)]
        if ema:
            callbacks.append(ema)
        callbacks += [
            keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: (
                history.append({"epoch": e + 1, **{k: float(v) for k, v in logs.items()}}),
                _write_json(history_path, history))),
            Checkpointer(checkpoints, extra=extra),
            SampleMonitor(lambda m: recipe.monitor(m, profile), os.path.join(out, "samples"),
                          show=show_samples, ema=ema),
            keras.callbacks.TensorBoard(os.path.join(out, "logs"), update_freq="epoch",
                                        write_graph=False),
        ]
        if time_budget:
            callbacks.append(TimeBudget(time_budget))
        start = time.perf_counter()
        if initial_epoch < epochs:
            data = recipe.data(profile, first_step=initial_epoch * per_epoch)
            model.fit(data, epochs=epochs, initial_epoch=initial_epoch,
                      steps_per_epoch=per_epoch, callbacks=callbacks, verbose=verbose,
                      shuffle=False)
        seconds = time.perf_counter() - start
        stop = callbacks[0].stopped
        if stop:
            raise FloatingPointError(f"Training of {out} stopped at a non-finite loss: {stop}.")
        trained_epochs = list_checkpoints(checkpoints)[-1][0] if list_checkpoints(
            checkpoints) else initial_epoch
        steps_done = (trained_epochs - initial_epoch) * per_epoch
        if ema:
            with ema.applied():
                _finish(recipe, model, profile)
                model.save(os.path.join(out, "model.keras"))
                scores = recipe.evaluate(model, profile)
        else:
            _finish(recipe, model, profile)
            model.save(os.path.join(out, "model.keras"))
            scores = recipe.evaluate(model, profile)
    finally:
        set_precision("float32")
    metrics = {"recipe": recipe.name, "profile": profile.name, "epochs": trained_epochs,
               "steps": trained_epochs * per_epoch, "resumed_from_epoch": initial_epoch,
               "train_seconds_this_session": round(seconds, 1),
               "steps_per_second": round(steps_done / seconds, 3) if steps_done else None,
               "scores": scores}
    _write_json(os.path.join(out, "metrics.json"), metrics)
    return model, metrics


def load_run(out):
    """The final model of a finished run folder (``model.keras``), for sampling and evaluation
    (not compiled: the models' own ``compile`` takes optimizers that a run does not save in
    the file).

    Args:
        out: str. The run folder.

    Returns:
        The Keras model of ``out/model.keras``.

    Raises:
        RunFolderError: ``model.keras`` is missing (the run did not finish), or it is there
            but cannot be read (truncated, or not a ``.keras`` file); the message says how
            to write it again.
    """
    import vidgen_tf.models  # noqa: F401  registers the classes

    path = os.path.join(out, "model.keras")
    if not os.path.exists(path):
        state = "has checkpoints but did not finish" if list_checkpoints(
            os.path.join(out, "checkpoints")) else "holds no trained model"
        raise RunFolderError(f"{out} {state}: {path} is missing. Finish it with "
                             f"`python -m vidgen_tf train ... --out {out} --resume`.")
    try:
        return keras.models.load_model(path, compile=False)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        if not zipfile.is_zipfile(path):
            what = "it is not a .keras archive (a zip file): it may be truncated"
        else:
            what = f"{type(error).__name__}: {error}"
        try:
            settings = _read_json(os.path.join(out, "config.json"))
            command = (f"python -m vidgen_tf train {settings['recipe']} --profile "
                       f"{settings['profile']} --out {out} --resume")
        except (OSError, ValueError, KeyError, TypeError):
            command = f"python -m vidgen_tf train ... --out {out} --resume"
        raise RunFolderError(
            f"{path} is there but cannot be read as a Keras model ({what}). Delete it and "
            f"run `{command}`: this writes it again from the run's last checkpoint."
        ) from error

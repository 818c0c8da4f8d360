"""Reference runs: a lesson's recipe trained longer, shipped inside the package, one call away.

A lesson trains its model for a quarter of an hour at the cpu profile; its *reference run* is
the same recipe trained longer (at most an hour of CPU), so that a student sees what the recipe
reaches, compares their run with it in the same evaluation setting, and can skip training
(``TRAIN = False`` at the top of the lesson, or the smoke profile) and still follow the lesson.

    python -m vidgen_tf train gan --profile cpu --steps 8000 --out runs/reference-gan --resume
    python -m vidgen_tf.training.references publish runs/reference-gan --name gan

``publish`` writes the run's final model (averaged weights, no optimizer state: at most
10 MB) with its ``metrics.json`` and ``history.json`` to ``vidgen_tf/weights/references/
<name>/`` and records the model file's SHA-256, its size, the recipe, the profile, the steps
and the command in ``manifest.json``. The files are package data, in the wheel and in a git
install. ``load_reference(name)`` checks the SHA-256 and loads the model in seconds on any
profile. ``$VIDGEN_REFERENCES`` points at another folder with the same layout.

Introduced in lesson 01.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

from vidgen_tf.weights import (WeightsError, checked_file, read_manifest, shipped_dir,
                               write_entry)

MAX_BYTES = 10_000_000
ENV = "VIDGEN_REFERENCES"


class ReferenceRunError(WeightsError):
    """A reference run is unknown, missing, altered, or too large to ship."""


def reference_dir():
    """The folder of the reference runs: ``$VIDGEN_REFERENCES`` if set, else the package's
    ``weights/references``."""
    return os.environ.get(ENV) or str(shipped_dir("references"))


def list_references(folder=None) -> dict:
    """``{name: manifest entry}`` of the shipped reference runs."""
    return read_manifest(folder or reference_dir())


def publish(run, name, folder=None, command=None, max_bytes=MAX_BYTES) -> dict:
    """Copy a finished run's model, metrics and history into a references folder.

    Args:
        run: str. A finished run folder (``model.keras`` and ``metrics.json`` written).
        name: str. The reference's name (``"gan"``, ``"vae"``): a folder name.
        folder: the references folder; ``reference_dir()`` when None.
        command: str. The command that trained the run (recorded); by default the one
            rebuilt from the run's ``config.json``.
        max_bytes: int. The largest model file allowed.

    Returns:
        dict: the manifest entry written.

    Raises:
        ReferenceRunError: the name is not a plain folder name, or the model file (saved without
            optimizer state) is larger than ``max_bytes``.
        RunFolderError: the run did not finish (see ``load_run``).
    """
    from vidgen_tf.training.run import _read_json, load_run
    from vidgen_tf.weights import sha256

    if not name or os.sep in name or name.startswith("."):
        raise ReferenceRunError(f"publish: the name must be a plain folder name, got {name!r}.")
    folder = folder or reference_dir()
    model = load_run(run)                        # not compiled: no optimizer state to save
    config = _read_json(os.path.join(run, "config.json"))
    metrics = _read_json(os.path.join(run, "metrics.json"))
    target = os.path.join(folder, name)
    os.makedirs(target, exist_ok=True)
    path = os.path.join(target, "model.keras")
    model.save(path)
    size = os.path.getsize(path)
    if size > max_bytes:
        os.remove(path)
        raise ReferenceRunError(f"publish: {run}'s model is {size / 1e6:.1f} MB, more than the "
                             f"{max_bytes / 1e6:.0f} MB a reference run may ship.")
    for extra in ("metrics.json", "history.json"):
        if os.path.exists(os.path.join(run, extra)):
            shutil.copyfile(os.path.join(run, extra), os.path.join(target, extra))
    command = command or (f"python -m vidgen_tf train {config['recipe']} --profile "
                          f"{config['profile']} --steps {config['steps']} --out {run} --resume")
    entry = {"file": f"{name}/model.keras", "sha256": sha256(path), "bytes": size,
             "recipe": config["recipe"], "profile": config["profile"],
             "steps": metrics.get("steps", config["steps"]), "command": command}
    write_entry(folder, name, entry)
    return entry


def _entry(name, folder):
    references = list_references(folder)
    if name not in references:
        known = ", ".join(sorted(references)) or "none"
        raise ReferenceRunError(f"No reference run {name!r} in {folder} (the reference runs are: "
                                f"{known}).")
    return references[name]


def load_reference(name, folder=None):
    """The model and metrics of a shipped reference run, checked against its SHA-256.

    Args:
        name: str. A reference's name (``list_references()``).
        folder: the references folder; ``reference_dir()`` when None.

    Returns:
        ``(model, metrics)``: the Keras model (not compiled) and the run's ``metrics.json``
        as a dict (training time, steps, the evaluation kit's scores).

    Raises:
        ReferenceRunError: no such reference, or its file is missing or altered.
    """
    import keras

    import vidgen_tf.models  # noqa: F401  registers the classes

    folder = folder or reference_dir()
    entry = _entry(name, folder)
    path = checked_file(folder, f"reference run {name!r}", entry,
                        "Restore it from git, or train and publish it again with the command "
                        f"recorded in the manifest: {entry.get('command')}.", ReferenceRunError)
    model = keras.models.load_model(str(path), compile=False)
    metrics_path = os.path.join(os.path.dirname(str(path)), "metrics.json")
    metrics = {}
    if os.path.exists(metrics_path):
        with open(metrics_path, encoding="utf-8") as f:
            metrics = json.load(f)
    return model, metrics


def reference_metrics(name, folder=None) -> dict:
    """A shipped reference run's ``metrics.json`` (its steps, training time and scores),
    without loading its model; ``{}`` when the reference shipped none.

    Raises:
        ReferenceRunError: no such reference.
    """
    folder = folder or reference_dir()
    path = os.path.join(folder, os.path.dirname(_entry(name, folder)["file"]), "metrics.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def train_or_reference(recipe, profile, out, train=True, reference=None, folder=None,
                       verbose="auto"):
    """The model a lesson works with: your run, or the shipped reference run.

    With ``train`` and any profile but smoke, ``recipe`` trains into ``out``
    (``run.train(..., resume=True)``: a finished run is loaded, an interrupted one continues
    from its last checkpoint). With ``train=False``, or at the smoke profile (the test suite
    follows the path a reader takes who skips training), the reference run is loaded in
    seconds instead; it was trained at its own profile, ``metrics["profile"]``, and the lesson
    evaluates it in that profile's setting.

    Args:
        recipe: a ``Recipe`` or its name.
        profile: a ``Profile`` or its name.
        out: str. Your run's folder.
        train: bool. The lesson's ``TRAIN`` switch.
        reference: str. The reference run's name (default: the recipe's).
        folder: the references folder (default ``reference_dir()``).
        verbose: Keras ``fit`` verbosity.

    Returns:
        ``(model, metrics)``: the final model (averaged weights where the recipe keeps an
        average), not compiled, and the run's metrics with ``"source"``: ``"your run"`` or
        ``"reference run"``, and ``"folder"``: the folder that holds its ``history.json``.

    Raises:
        ReferenceRunError: the reference is needed and not shipped.
    """
    from vidgen_tf.config import get_profile
    from vidgen_tf.training.recipes import get_recipe
    from vidgen_tf.training.run import load_run
    from vidgen_tf.training.run import train as train_run

    recipe = get_recipe(recipe)
    profile = get_profile(profile) if isinstance(profile, str) or profile is None else profile
    if train and profile.name != "smoke":
        _, metrics = train_run(recipe, profile, out, resume=True, verbose=verbose)
        return load_run(out), {**metrics, "source": "your run", "folder": out}
    name = reference or recipe.name
    folder = folder or reference_dir()
    entry = _entry(name, folder)
    model, metrics = load_reference(name, folder)
    # the manifest knows the recipe, profile and steps even if metrics.json did not ship
    metrics = {**{k: entry[k] for k in ("recipe", "profile", "steps")}, **metrics}
    why = "TRAIN = False" if not train else "the smoke profile"
    print(f"{why}: loaded the reference run {name!r} ({metrics['steps']} steps at the "
          f"{metrics['profile']} profile)")
    return model, {**metrics, "source": "reference run", "reference": name,
                   "folder": os.path.join(folder, os.path.dirname(entry["file"]))}


def run_scores(metrics, samples="samples") -> dict:
    """A run's numbers in one flat dict: ``steps``, the recipe's scores (held-out PSNR...)
    and the scores of its samples (``proxy_fvd``, ``digit_confidence``...): those under the
    key ``samples`` (the sprite VAE's ``"samples_standard_prior"``, say); for a predictor, the
    model's mean scores (``ssim_mean``...) and the ratios (``readability_ratio``,
    ``flicker_ratio``)."""
    scores = metrics.get("scores", {})
    flat = {"steps": metrics.get("steps")}
    flat.update({k: v for k, v in scores.items() if isinstance(v, (int, float))})
    flat.update(scores.get(samples, {}))
    # a predictor's (lesson 04): its mean scores over the horizon, and ratios against the truth
    flat.update({k: v for k, v in scores.get("model", {}).items()
                 if isinstance(v, (int, float))})
    flat.update({f"{k}_ratio": v["ratio"] for k, v in scores.items()
                 if isinstance(v, dict) and isinstance(v.get("ratio"), (int, float))})
    return flat


def beside_reference(metrics, name=None, folder=None) -> dict:
    """``{"your run": scores, "reference run": scores}`` (``run_scores``) for
    ``metrics.score_table``: a lesson's run beside its reference run; only the reference's
    column when the lesson loaded the reference itself.

    The reference is left out, with a printed note, when none is shipped under that name or
    when it was scored in another evaluation setting than the run (a gpu-profile run, say,
    beside a cpu-profile reference): numbers from two settings do not compare.

    Args:
        metrics: the metrics ``train_or_reference`` returned.
        name: the reference's name (default: the one the lesson loaded, else the run's
            recipe).
    """
    columns = {metrics.get("source", "your run"): run_scores(metrics)}
    if metrics.get("source") == "reference run":
        return columns
    name = name or metrics.get("reference") or metrics["recipe"]
    try:
        reference = reference_metrics(name, folder)
    except ReferenceRunError as error:
        print(f"No reference run to compare with: {error}")
        return columns
    mine, theirs = (m.get("scores", {}).get("setting") for m in (metrics, reference))
    if mine != theirs:
        print(f"The reference run {name!r} was scored in another setting ({theirs}) than "
              f"this run ({mine}): not shown beside it.")
        return columns
    columns["reference run"] = run_scores(reference)
    return columns


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vidgen_tf.training.references",
                                     description="Publish or list the reference runs.")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("publish", help="ship a finished run as a reference run")
    p.add_argument("run", help="the finished run folder")
    p.add_argument("--name", required=True, help="the reference's name (gan, vae, ...)")
    p.add_argument("--out", default=None, help="the references folder (default: the "
                                               "package's weights/references)")
    commands.add_parser("list", help="the shipped reference runs")
    args = parser.parse_args(argv)
    from vidgen_tf.training.run import RunFolderError

    try:
        if args.command == "publish":
            entry = publish(args.run, args.name, args.out)
            print(f"published {args.run} as reference {args.name!r}: {entry['bytes'] / 1e6:.1f}"
                  f" MB, sha256 {entry['sha256'][:12]}")
        else:
            for name, entry in sorted(list_references().items()):
                print(f"{name}: recipe {entry['recipe']}, {entry['steps']} steps at profile "
                      f"{entry['profile']}, {entry['bytes'] / 1e6:.1f} MB")
    except (ReferenceRunError, RunFolderError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks of the evaluation kit: the evaluators' held-out accuracy, and the baseline table
that gives every score its scale."""

from __future__ import annotations

from vidgen_tf.bench import benchmark


@benchmark("evaluators", "Held-out accuracy of the shipped evaluator networks (weights from "
                         "vidgen_tf/weights/evaluators, checked against their SHA-256)")
def evaluators(quick=False):
    from vidgen_tf.metrics.evaluator_store import evaluator_dir, load_evaluator, read_manifest
    from vidgen_tf.metrics.train_evaluators import evaluate_classifier, evaluate_feature_net

    counts = (200, 64) if quick else (2000, 1000)
    metrics = {}
    metrics.update({f"classifier {k}": v for k, v in
                    evaluate_classifier(load_evaluator("digit_classifier"), 0,
                                        counts[0]).items()})
    for name, domain in (("digit_features", "digits"), ("shape_features", "shapes")):
        metrics.update({f"{name} {k}": v for k, v in
                        evaluate_feature_net(load_evaluator(name), domain, 0,
                                             counts[1]).items()})
    manifest = read_manifest()
    def plan(training):
        if "steps" in training:
            return f"{training['steps']} steps of {training['batch_size']} frames"
        return f"{training['clips']} clips, {training['epochs']} epochs"

    rows = "\n".join(
        f"| {name} | {entry['class']} | {entry['parameters']:,} | {plan(entry['training'])} | "
        f"{entry['training']['seconds']:.0f} s | `{entry['sha256'][:12]}` |"
        for name, entry in sorted(manifest.items()))
    details = (
        f"Test split of the embedded datasets: {counts[0]} digit frames and {counts[0] // 4} "
        f"no-digit frames per source size for the classifier; {counts[1]} clips per source "
        f"size for the feature networks, whose multi-hot heads count as right only when the "
        f"whole set is right (every digit with its direction, for example). Frames and clips "
        f"are drawn at 64x64 and at 32x32; the networks resize them to 32x32.\n\n"
        f"Weights: `{_shown(evaluator_dir())}`, rebuilt by "
        f"`python -m vidgen_tf.metrics.train_evaluators`.\n\n"
        "| evaluator | class | parameters | training | training time | sha256 |\n"
        "|---|---|---|---|---|---|\n" + rows + "\n")
    return {"metrics": metrics, "details": details}


def _shown(path):
    """``path`` relative to the repository when it is inside it (no machine's paths in the
    committed results)."""
    import os

    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    relative = os.path.relpath(os.path.abspath(path), repo)
    return path if relative.startswith("..") else relative


@benchmark("baselines", "Scores of reference cases in each evaluation setting: the scale for "
                        "every model's numbers")
def baselines(quick=False):
    from vidgen_tf.metrics.baselines import (CASES, SETTINGS, EvalSetting, baseline_table,
                                             table_markdown)

    seeds = (0, 1) if quick else (0, 1, 2, 3, 4)
    settings = SETTINGS
    if quick:
        settings = {"digits-1-32": EvalSetting("digits", 1, 32, num_generated=32,
                                               num_reference=64)}
    metrics, blocks = {}, []
    for key, setting in settings.items():
        table = baseline_table(setting, seeds=seeds)
        for case in CASES:
            metrics[f"{key} {case} proxy_fvd"] = round(table[case]["proxy_fvd"][0], 3)
        blocks.append(f"**{key}**: {setting.name}; {setting.num_generated} clips per case "
                      f"against {setting.num_reference} held-out real clips (test split); "
                      f"mean ± standard deviation over {len(seeds)} seeds.\n\n"
                      + table_markdown(table))
    details = (
        "Reference cases, each made from real clips of the validation split: the real clips "
        "themselves (the floor), their frames shuffled in time, their first frame repeated, "
        "per-pixel Gaussian noise with the real mean and spread, and the real clips blurred "
        "(Gaussian, sigma 1.5 px at 64x64). Columns: proxy FVD (lower is better), mean "
        "probability of the most likely digit per frame, digit classes present (of 10), share "
        "of clips that keep their digit in 80% of their frames, mean displacement of the "
        "centre of brightness (pixels per frame), its jerk (second difference; large for "
        "jumps), share of clips that move. Digit columns only for one-digit settings.\n\n"
        + "\n\n".join(blocks) + "\n")
    return {"metrics": metrics, "details": details}

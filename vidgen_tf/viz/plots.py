"""Static pictures: frames as a filmstrip, and training curves.

Clips are ``(frames, height, width[, channels])``, uint8 or float in ``[-1, 1]``.

Introduced in lesson 00.
"""

from __future__ import annotations

import numpy as np

from vidgen_tf.viz.video import as_clips


def plot_frames(videos, num_frames=None, titles=None, frame_labels=True, size=1.2):
    """Show clips as filmstrips: one row per clip, one column per frame.

    Args:
        videos: one clip ``(T, H, W[, C])`` or a batch ``(N, T, H, W, C)``.
        num_frames: int or None. Show this many frames evenly spaced over the clip; None
            shows all.
        titles: list of str or None. One title per row, written left of it.
        frame_labels: bool. Write the frame index above each column.
        size: float. Inches per frame.

    Returns:
        ``matplotlib.figure.Figure``.
    """
    import matplotlib.pyplot as plt

    clips = np.asarray(videos)
    clips = as_clips(clips[None] if clips.ndim in (3, 4) and (
        clips.ndim == 3 or clips.shape[-1] in (1, 3)) else clips)
    n, t = clips.shape[:2]
    index = np.arange(t) if num_frames is None else np.unique(
        np.linspace(0, t - 1, int(num_frames)).round().astype(int))
    fig, axes = plt.subplots(n, len(index), figsize=(size * len(index), size * n),
                             squeeze=False)
    for row in range(n):
        for col, f in enumerate(index):
            ax = axes[row, col]
            frame = clips[row, f]
            ax.imshow(frame[..., 0] if frame.shape[-1] == 1 else frame, cmap="gray",
                      vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if frame_labels and row == 0:
                ax.set_title(f"t={f}", fontsize=8)
        if titles is not None:
            axes[row, 0].set_ylabel(titles[row], fontsize=8, rotation=0, ha="right",
                                    va="center")
    fig.tight_layout(pad=0.3)
    return fig


def _history_dict(history):
    """``{name: list of floats}`` from a Keras ``History``, a dict, or a list of dicts."""
    if hasattr(history, "history"):
        history = history.history
    if isinstance(history, (list, tuple)):
        keys = sorted({k for row in history for k in row})
        history = {k: [row.get(k, np.nan) for row in history] for k in keys}
    if not isinstance(history, dict) or not history:
        raise ValueError("plot_history expects a Keras History, a dict of lists or a list of "
                         f"dicts, got {type(history).__name__} {history!r:.80}.")
    return {k: np.asarray(v, dtype=np.float64) for k, v in history.items()}


def plot_history(history, keys=None, log_scale=False, smooth=1, xlabel="epoch"):
    """Training curves, one panel per metric (four to a row), validation beside training.

    Args:
        history: a Keras ``History``, a dict ``{name: values}`` or a list of per-step dicts.
        keys: list of str or None. Metrics to plot (``val_`` twins join their panel); None
            plots all.
        log_scale: bool. Logarithmic y axis.
        smooth: int. Moving-average window (1 for none), for noisy per-step curves.
        xlabel: str. Label of the x axis.

    Returns:
        ``matplotlib.figure.Figure``.
    """
    import matplotlib.pyplot as plt

    curves = _history_dict(history)
    if keys is None:
        names = [k for k in curves if not k.startswith("val_")]
        names += [k[4:] for k in curves if k.startswith("val_") and k[4:] not in curves]
    else:
        names = list(keys)
    unknown = [k for k in names if k not in curves and "val_" + k not in curves]
    if unknown:
        raise ValueError(f"plot_history: no metric {unknown}; the history has {sorted(curves)}.")
    # at most four panels a row: a wider figure is shrunk to the page and becomes unreadable
    columns = min(len(names), 4)
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows),
                             squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.remove()
    for ax, name in zip(axes.ravel(), names):
        for label in (name, "val_" + name):
            if label not in curves:
                continue
            values, offset = curves[label], 0
            if 1 < smooth <= len(values):
                values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
                offset = smooth - 1
            ax.plot(np.arange(len(values)) + offset, values, label=label)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(xlabel)
        if log_scale:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

"""Keras callbacks for the course's training runs (lessons 01 and 02).

- ``Checkpointer``: saves a checkpoint every ``every`` epochs (see ``checkpoints``), never
  one with non-finite weights or losses.
- ``StopOnNonFinite``: stops training at the first NaN or Inf in the logged losses and says
  which checkpoint is the last good one.
- ``WeightsEMA``: an exponential moving average of some of the model's weights (a GAN's
  generator, typically), swapped in for sampling and saved with the checkpoints.
- ``SampleMonitor``: every ``every`` epochs, draws samples (or reconstructions), writes them
  as a GIF grid and shows the newest grid inline in a notebook.
- ``TimeBudget``: ends training at the last epoch that fits in a wall-clock budget.
"""

from __future__ import annotations

import contextlib
import math
import os
import time

import numpy as np

import keras
from vidgen_tf.training.checkpoints import list_checkpoints, model_is_finite, save_checkpoint


def _finite_logs(logs):
    return all(math.isfinite(float(v)) for v in (logs or {}).values()
               if np.ndim(v) == 0)


class Checkpointer(keras.callbacks.Callback):
    """Save the training state every ``every`` epochs into ``directory``.

    Args:
        directory: str. The checkpoints folder.
        every: int. Epochs between checkpoints.
        keep: int. Checkpoints kept on disk.
        extra: dict ``{name: object}`` of objects saved with the model (``WeightsEMA``).
    """

    def __init__(self, directory, every=1, keep=2, extra=None):
        super().__init__()
        self.directory = directory
        self.every = int(every)
        self.keep = int(keep)
        self.extra = dict(extra or {})
        self.last_saved = None

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every and done != self.params.get("epochs"):
            return
        if not (_finite_logs(logs) and model_is_finite(self.model)):
            return           # keep the last good checkpoint
        save_checkpoint(self.model, self.directory, done, extra=self.extra, keep=self.keep)
        self.last_saved = done


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop at the first non-finite loss, with a message naming the last good checkpoint.

    Args:
        directory: optional str. The checkpoints folder, for the message.
    """

    def __init__(self, directory=None):
        super().__init__()
        self.directory = directory
        self.stopped = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = {k: float(v) for k, v in (logs or {}).items()
               if np.ndim(v) == 0 and not math.isfinite(float(v))}
        if not bad or self.stopped:
            return
        self.model.stop_training = True
        self.stopped = {"epoch": self._epoch + 1, "batch": batch + 1, "values": bad}
        saved = list_checkpoints(self.directory) if self.directory else []
        kept = (f"the last good checkpoint, {saved[-1][1]} (epoch {saved[-1][0]}), is kept"
                if saved else "no checkpoint was written before this")
        print(f"\nTraining stopped: {', '.join(f'{k} = {v}' for k, v in bad.items())} at "
              f"epoch {self._epoch + 1}, batch {batch + 1}; {kept}. Lower the learning "
              f"rate or check the data for NaN, then resume.")


class WeightsEMA(keras.callbacks.Callback):
    """Exponential moving average of weights: ``ema <- d * ema + (1 - d) * w``.

    Averaged weights of a GAN generator give smoother, better samples than the raw ones,
    which oscillate with the adversarial game.

    With ``warmup`` (the default), the ``n``-th update uses ``d = min(decay, (1 + n) / (10 +
    n))`` (as ``tf.train.ExponentialMovingAverage`` with ``num_updates``): early averages
    forget the random initial weights quickly. Without it, a decay of 0.999 would keep 61 %
    of the initial weights after 500 updates.

    Args:
        decay: float in ``[0, 1)``.
        attribute: optional str, or a tuple of str. The sub-model(s) whose trainable
            weights are averaged (``"generator"``; MoCoGAN's ``("motion_network",
            "frame_generator")``); None averages all the model's trainable weights.
        warmup: bool. Ramp the decay up from 0.1 as above.
    """

    def __init__(self, decay=0.999, attribute=None, warmup=True):
        super().__init__()
        if not 0 <= decay < 1:
            raise ValueError(f"WeightsEMA: decay must be in [0, 1), got {decay}.")
        self.decay = float(decay)
        self.attribute = attribute
        self.warmup = bool(warmup)
        self._shadows = None
        self._pending = None
        self._update = None

    def _variables(self):
        if not self.attribute:
            return self.model.trainable_weights
        names = (self.attribute,) if isinstance(self.attribute, str) else self.attribute
        return [w for name in names for w in getattr(self.model, name).trainable_weights]

    def _ensure(self):
        if self._shadows is not None:
            return
        import tensorflow as tf

        variables = self._variables()
        self._shadows = [tf.Variable(keras.ops.convert_to_numpy(v), trainable=False)
                         for v in variables]
        self._updates = tf.Variable(0.0, trainable=False, dtype="float32")
        if self._pending is not None:
            self.set_state(self._pending)
            self._pending = None

        @tf.function
        def update():
            decay = tf.constant(self.decay, "float32")
            if self.warmup:
                decay = tf.minimum(decay, (1.0 + self._updates) / (10.0 + self._updates))
            for shadow, variable in zip(self._shadows, variables):
                d = tf.cast(decay, shadow.dtype)
                shadow.assign(d * shadow + (1.0 - d) * tf.cast(variable.value, shadow.dtype))
            self._updates.assign_add(1.0)

        self._update = update

    def on_train_begin(self, logs=None):
        self._ensure()

    def on_train_batch_end(self, batch, logs=None):
        self._update()

    @contextlib.contextmanager
    def applied(self):
        """Within the block, the model holds the averaged weights."""
        self._ensure()
        variables = self._variables()
        saved = [keras.ops.convert_to_numpy(v) for v in variables]
        for variable, shadow in zip(variables, self._shadows):
            variable.assign(shadow.numpy())
        try:
            yield self.model
        finally:
            for variable, value in zip(variables, saved):
                variable.assign(value)

    def get_state(self):
        self._ensure()
        return {"updates": self._updates.numpy(),
                **{str(i): s.numpy() for i, s in enumerate(self._shadows)}}

    def set_state(self, state):
        if not state:
            return
        if self._shadows is None:       # before the model is known: apply when it is
            self._pending = dict(state)
            return
        state = dict(state)
        self._updates.assign(float(state.pop("updates", 0.0)))
        if len(state) != len(self._shadows):
            raise ValueError(f"WeightsEMA: {len(state)} saved averages, the model has "
                             f"{len(self._shadows)} averaged weights.")
        for i, shadow in enumerate(self._shadows):
            shadow.assign(state[str(i)])


class SampleMonitor(keras.callbacks.Callback):
    """Write a GIF grid of samples every ``every`` epochs; show the newest one inline.

    Args:
        sample_fn: callable ``model -> videos`` (float in ``[-1, 1]`` or uint8,
            ``(n, T, H, W, C)``): samples, or reconstructions of fixed clips.
        directory: str. Where ``samples_epoch_EEEE.gif`` files go.
        every: int. Epochs between grids.
        columns: int. Clips per row of the grid.
        fps: int. Frames per second of the GIF.
        show: bool. Display the grid inline when running in a notebook (one display
            that is updated, not one per epoch).
        ema: optional ``WeightsEMA``: sample with the averaged weights.
    """

    def __init__(self, sample_fn, directory, every=1, columns=4, fps=8, show=True, ema=None):
        super().__init__()
        self.sample_fn = sample_fn
        self.directory = directory
        self.every = int(every)
        self.columns = int(columns)
        self.fps = int(fps)
        self.show = show
        self.ema = ema
        self.paths = []
        self._display = None

    def on_epoch_end(self, epoch, logs=None):
        done = epoch + 1
        if done % self.every and done != self.params.get("epochs"):
            return
        from vidgen_tf.viz.video import encode_gif, video_grid

        with self.ema.applied() if self.ema is not None else contextlib.nullcontext():
            videos = np.asarray(self.sample_fn(self.model))
        grid = video_grid(videos, columns=self.columns)
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, f"samples_epoch_{done:04d}.gif")
        with open(path, "wb") as f:
            f.write(encode_gif(grid, fps=self.fps))
        self.paths.append(path)
        if self.show and _in_notebook():
            from IPython.display import HTML, display

            from vidgen_tf.viz import grid_html

            # each clip enlarged to >= 128 px (the saved file stays at the model's size)
            html = HTML(grid_html(videos, columns=self.columns, fps=self.fps,
                                  title=f"epoch {done}"))
            if self._display is None:
                self._display = display(html, display_id=True)
            else:
                self._display.update(html)


class TimeBudget(keras.callbacks.Callback):
    """Keep training within ``seconds`` of wall-clock time, at whole epochs.

    After each epoch, training stops if one more epoch, as long as the longest so far, would
    end past the budget; an epoch that ends past the budget stops it in any case (the first
    epoch always runs). A budget is a promise of the run's length, so it looks one epoch
    ahead rather than overrunning by one.
    """

    def __init__(self, seconds):
        super().__init__()
        self.seconds = float(seconds)
        self.stopped_at = None

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self._longest = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self._longest = max(self._longest, now - self._epoch_start)
        if now - self._start + self._longest > self.seconds:
            self.model.stop_training = True
            self.stopped_at = epoch + 1


def _in_notebook():
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"

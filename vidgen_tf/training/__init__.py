"""Training infrastructure shared by every model lesson.

- ``strategy``: ``get_strategy`` by name, logical CPU devices for multi-device tests.
- ``precision``: dtype policies and loss-scaled optimizers (they live in
  ``vidgen_tf.precision``, below the models that use them; re-exported here).
- ``checkpoints`` and ``callbacks``: atomic checkpoints, resume, EMA of weights, stopping on
  NaN, sample grids, time budgets.
- ``recipes``: what the CLI trains; ``run.train``: one resumable run in a run folder.
- ``cli``: ``python -m vidgen_tf train|sample``.
"""

from vidgen_tf.precision import needs_loss_scaling, scaled_optimizer, set_precision
from vidgen_tf.training.callbacks import (Checkpointer, SampleMonitor, StopOnNonFinite,
                                          TimeBudget, WeightsEMA)
from vidgen_tf.training.checkpoints import list_checkpoints, restore_latest, save_checkpoint
from vidgen_tf.training.strategy import get_strategy, use_logical_cpus

__all__ = [
    "Checkpointer", "SampleMonitor", "StopOnNonFinite", "TimeBudget", "WeightsEMA",
    "list_checkpoints", "restore_latest", "save_checkpoint", "needs_loss_scaling",
    "scaled_optimizer", "set_precision", "get_strategy", "use_logical_cpus",
]

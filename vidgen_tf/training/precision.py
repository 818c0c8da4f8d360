"""Precision policies (lesson 02): re-exported from ``vidgen_tf.precision``.

The helpers live at the package's base, beside ``config``, because models need them too
(``VideoGAN.compile`` wraps its optimizers for loss scaling) and models must not import
``training`` (DESIGN.md section 2). ``from vidgen_tf.training import set_precision`` and
``from vidgen_tf.training.precision import ...`` keep working.
"""

from vidgen_tf.precision import POLICIES, needs_loss_scaling, scaled_optimizer, set_precision

__all__ = ["POLICIES", "needs_loss_scaling", "scaled_optimizer", "set_precision"]

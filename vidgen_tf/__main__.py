"""``python -m vidgen_tf train|sample ...``: see ``vidgen_tf.training.cli``."""

import sys

from vidgen_tf.training.cli import main

if __name__ == "__main__":
    sys.exit(main())

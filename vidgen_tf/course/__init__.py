"""Course tooling: exercise checks, the student edition, grading, executing notebooks.

- ``check_exercise(id, answer)``: used in check cells of the lessons.
- ``python -m vidgen_tf.course release | check-release | grade | execute``.
- ``colab_setup_source()``: the first cell of every notebook.
"""

from vidgen_tf.course.checks import EXERCISES, check_exercise
from vidgen_tf.course.colab import REPOSITORY_URL, colab_setup_source

__all__ = ["EXERCISES", "REPOSITORY_URL", "check_exercise", "colab_setup_source"]

"""Course tooling: exercise checks, the student edition, grading, executing notebooks.

- ``check_exercise(id, answer)``: used in check cells of the lessons.
- ``python -m vidgen_tf.course release | check-release | grade | execute | sync-colab``.
- ``colab_setup_source(source, version)``: the set-up cell of every notebook; ``CourseSource``:
  the repository the course is published from (``[tool.vidgen_tf.course]`` in pyproject.toml).
"""

from vidgen_tf.course.checks import EXERCISES, check_exercise
from vidgen_tf.course.colab import CourseSource, colab_setup_source

__all__ = ["EXERCISES", "CourseSource", "check_exercise", "colab_setup_source"]

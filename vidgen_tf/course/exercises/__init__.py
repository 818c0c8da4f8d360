"""The registered exercises, one module per lesson (importing registers them)."""

from vidgen_tf.course.exercises import (lesson00, lesson01, lesson02, lesson03,  # noqa: F401
                                        lesson04, lesson08)

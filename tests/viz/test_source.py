"""show_source: the package's own code, as highlighted Markdown with where it lives."""

import inspect

import pytest

from vidgen_tf.losses import gan as gan_losses
from vidgen_tf.viz import source_markdown


def test_a_function_with_its_file_and_lines():
    text = source_markdown(gan_losses.hinge_d_loss)
    lines, first = inspect.getsourcelines(gan_losses.hinge_d_loss)
    head, block = text.split("\n\n", 1)
    assert head == (f"**`hinge_d_loss`** (`vidgen_tf/losses/gan.py`, lines {first}-"
                    f"{first + len(lines) - 1})")
    assert block.startswith("```python\ndef hinge_d_loss(") and block.endswith("```")
    assert block[len("```python\n"):-len("\n```")] == "".join(lines).rstrip("\n")


def test_a_slice_of_a_method_is_dedented_and_numbered():
    from vidgen_tf.models.gan import VideoGAN

    lines, first = inspect.getsourcelines(VideoGAN)
    begin = next(i for i, line in enumerate(lines) if "def train_step" in line)
    text = source_markdown(VideoGAN, start="def train_step", end="GradientTape")
    code = text.split("```python\n")[1][:-len("\n```")].split("\n")
    assert code[0].startswith("def train_step(")              # dedented from the class body
    assert "GradientTape" in code[-1]
    assert f"lines {first + begin}-{first + begin + len(code) - 1})" in text


def test_what_is_not_there_is_an_error():
    from vidgen_tf.models.gan import VideoGAN

    with pytest.raises(ValueError, match="'def no_such_step' is not in the source of VideoGAN"):
        source_markdown(VideoGAN, start="def no_such_step")
    with pytest.raises(TypeError, match="no Python source for <built-in function len>"):
        source_markdown(len)

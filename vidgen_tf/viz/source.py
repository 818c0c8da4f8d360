"""Showing the package's own code in a lesson: the loss, the ``train_step``, the sampler.

A lesson walks through the code that matters from the package itself (never a copy that could
drift from it). ``show_source(VideoGAN.train_step)`` displays the method's source as a
highlighted Python block headed by where it lives (``vidgen_tf/models/gan.py``, lines a-b).

The block is Markdown (a fenced ``python`` block), which JupyterLab, VS Code, Colab and
GitHub's notebook view all highlight, also in a notebook the reader has not run (an untrusted
notebook's HTML is sanitized; Markdown is not affected).

Introduced in lesson 01.
"""

from __future__ import annotations

import inspect
import os
import textwrap


def source_markdown(obj, start: str | None = None, end: str | None = None) -> str:
    """Markdown of a package object's source, headed by its file and line numbers.

    Args:
        obj: a function, method, class or module of the package (anything
            ``inspect.getsource`` accepts).
        start: optional str. Show from the first line that contains it (for example
            ``"def train_step"`` inside a class, or a comment that opens a block).
        end: optional str. Show up to and including the first line after ``start`` that
            contains it.

    Returns:
        str. A heading line and a fenced ``python`` block, dedented.

    Raises:
        TypeError: ``obj`` has no source Python can read (a built-in, a C extension).
        ValueError: ``start`` or ``end`` is not in the source.
    """
    try:
        lines, first = inspect.getsourcelines(obj)
    except (TypeError, OSError) as error:
        raise TypeError(f"show_source: no Python source for {obj!r} ({error}).") from None
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    begin, stop = 0, len(lines)
    if start is not None:
        begin = next((i for i, line in enumerate(lines) if start in line), None)
        if begin is None:
            raise ValueError(f"show_source: {start!r} is not in the source of {name}.")
    if end is not None:
        found = next((i for i in range(begin, len(lines)) if end in lines[i]), None)
        if found is None:
            raise ValueError(f"show_source: {end!r} does not follow {start!r} in the source "
                             f"of {name}.")
        stop = found + 1
    body = textwrap.dedent("".join(lines[begin:stop])).rstrip("\n")
    path = inspect.getsourcefile(obj) or "?"
    parts = os.path.normpath(path).split(os.sep)
    shown = "/".join(parts[len(parts) - 1 - parts[::-1].index("vidgen_tf"):]) \
        if "vidgen_tf" in parts else os.path.basename(path)
    where = f"`{shown}`, lines {first + begin}-{first + stop - 1}"
    return f"**`{name}`** ({where})\n\n```python\n{body}\n```"


def show_source(obj, start: str | None = None, end: str | None = None):
    """Display a package object's source in the notebook (see ``source_markdown``).

    Example:

        show_source(VideoGAN.train_step)
        show_source(VideoGAN, start="def train_step", end="return self._logs")
    """
    from IPython.display import Markdown, display

    display(Markdown(source_markdown(obj, start, end)))

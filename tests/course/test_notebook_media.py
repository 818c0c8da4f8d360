"""Every output of the committed notebooks shows where a student opens them.

JupyterLab sanitizes the HTML of a notebook its reader has not run (an untrusted notebook: any
notebook downloaded or cloned), and GitHub's notebook view does the same: the source of a
``<video>`` is stripped (an inline MP4 shows as an empty player), ``<script>`` and
``application/javascript`` outputs do not run. Inline videos are therefore animated GIFs
(``vidgen_tf.viz.show_video`` / ``show_grid``), MP4 only as a file link. These tests refuse
the forms that are stripped and keep the media embedded in a notebook within a budget, naming
the notebook, the cell and what was found.

Checked in a real browser once (headless Chromium opening JupyterLab 4 on an untrusted copy):
``tests/browser_check.py``.
"""

import base64
import os
import re

import nbformat
import pytest

from tests.conftest import REPO
from vidgen_tf.course.release import lesson_files

FOLDERS = ("notebooks", "lessons")
PATHS = [os.path.join(folder, name) for folder in FOLDERS
         for name in lesson_files(os.path.join(REPO, folder))]

# Base64 characters of images embedded in one notebook's outputs (what the file carries).
# Lesson 01 carries 1.07 million (about 800 KB of images: its noisy video-VAE samples and the
# latent figure weigh most); the aim is a few hundred KB per notebook, and lesson 01's media are
# to be slimmed at its next execution. This bound keeps them from growing meanwhile.
MEDIA_BUDGET = 1_100_000

STRIPPED_HTML = {
    "<video": "a <video> element (sanitizers strip its source: it shows blank)",
    "<script": "a <script> element (not run in an untrusted notebook)",
    "<iframe": "an <iframe> (stripped by sanitizers)",
}
DATA_URL = re.compile(r"data:([a-z]+/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\s]+)")
IMAGE_MIMES = ("image/png", "image/gif", "image/jpeg", "image/webp")


def _text(value):
    return "".join(value) if isinstance(value, list) else str(value)


def stripped_outputs(nb):
    """``(cell index, output index, what)`` of each output a sanitizer strips or does not run.

    Refused: ``text/html`` holding ``<video``, ``<script`` or ``<iframe``; any
    ``application/javascript`` output; a ``data:video/...`` URL in any output (or in a Markdown
    cell, which is sanitized the same way).
    """
    found = []
    for c, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            source = cell.source.lower()
            for tag, what in STRIPPED_HTML.items():
                if tag in source:
                    found.append((c, None, f"Markdown holds {what}"))
            if "data:video/" in source:
                found.append((c, None, "Markdown holds a data:video/ URL"))
        for o, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if "application/javascript" in data:
                found.append((c, o, "an application/javascript output (not run untrusted)"))
            markup = _text(data.get("text/html", "")).lower()
            for tag, what in STRIPPED_HTML.items():
                if tag in markup:
                    count = markup.count(tag)
                    found.append((c, o, f"text/html holding {count} x {what}"))
            everything = " ".join(_text(v) for v in data.values()) + _text(output.get("text", ""))
            videos = re.findall(r"data:(video/[a-z0-9.+-]+)", everything.lower())
            if videos:
                found.append((c, o, f"{len(videos)} data URL(s) of type {sorted(set(videos))}"))
    return found


def embedded_media(nb):
    """``[(cell index, output index, kind, base64 characters)]`` of each image embedded in an
    output: image MIME outputs and ``data:`` URLs inside HTML or Markdown outputs."""
    media = []
    for c, cell in enumerate(nb.cells):
        for o, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            for mime in IMAGE_MIMES:
                if mime in data:
                    media.append((c, o, mime, len(re.sub(r"\s", "", _text(data[mime])))))
            for mime in ("text/html", "text/markdown"):
                for kind, payload in DATA_URL.findall(_text(data.get(mime, ""))):
                    media.append((c, o, f"data:{kind} in {mime}", len(re.sub(r"\s", "",
                                                                             payload))))
    return media


def _read(path):
    return nbformat.read(os.path.join(REPO, path), as_version=4)


def test_there_are_notebooks_to_check():
    assert "notebooks/00_video_as_data.ipynb" in PATHS
    assert "lessons/00_video_as_data.ipynb" in PATHS


@pytest.mark.parametrize("path", PATHS)
def test_no_output_is_stripped_by_notebook_sanitizers(path):
    found = stripped_outputs(_read(path))
    report = "\n".join(f"  {path} cell {c}" + (f" output {o}" if o is not None else "")
                       + f": {what}" for c, o, what in found)
    assert not found, (
        f"{path} has outputs that JupyterLab (untrusted notebook), GitHub and VS Code strip or "
        f"do not run:\n{report}\nShow videos with vidgen_tf.viz.show_video / show_grid "
        f"(animated GIFs); link MP4 files (save_video, IPython.display.FileLink) instead of "
        f"embedding them; then re-execute the notebook.")


@pytest.mark.parametrize("path", PATHS)
def test_embedded_media_stay_within_the_budget(path):
    media = embedded_media(_read(path))
    total = sum(size for *_, size in media)
    largest = sorted(media, key=lambda m: -m[-1])[:5]
    report = "\n".join(f"  cell {c} output {o}: {kind}, {size / 1e3:.0f} KB"
                       for c, o, kind, size in largest)
    assert total <= MEDIA_BUDGET, (
        f"{path} embeds {total / 1e3:.0f} KB of media (base64) in its outputs, over the "
        f"budget of {MEDIA_BUDGET / 1e3:.0f} KB. The largest:\n{report}\nShow fewer clips "
        f"per grid (9 to 16), or fewer grids.")


def _notebook(*outputs, markdown=None):
    nb = nbformat.v4.new_notebook()
    if markdown is not None:
        nb.cells.append(nbformat.v4.new_markdown_cell(markdown))
    nb.cells.append(nbformat.v4.new_code_cell("x", outputs=list(outputs)))
    return nb


def _display(mime, value):
    return nbformat.v4.new_output("display_data", data={mime: value})


def test_the_checks_find_what_sanitizers_strip():
    """The checks themselves, on made-up outputs: an inline MP4 as lesson 01 had, a script, a
    JavaScript output; and a GIF in <img>, which passes."""
    mp4 = ('<figure><video width="64" autoplay loop muted><source src="data:video/mp4;base64,'
           'AAAA" type="video/mp4"></video></figure>')
    found = stripped_outputs(_notebook(_display("text/html", mp4),
                                       _display("text/html", "<script>alert(1)</script>"),
                                       _display("application/javascript", "alert(1)"),
                                       markdown="<video src='a.mp4'></video>"))
    whats = [(c, o, what.split(" (")[0]) for c, o, what in found]
    assert whats == [(0, None, "Markdown holds a <video> element"),
                     (1, 0, "text/html holding 1 x a <video> element"),
                     (1, 0, "1 data URL(s) of type ['video/mp4']"),
                     (1, 1, "text/html holding 1 x a <script> element"),
                     (1, 2, "an application/javascript output")]
    gif = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="128">'
    png = base64.b64encode(b"\x89PNG" + bytes(96)).decode()
    nb = _notebook(_display("text/html", gif), _display("image/png", png))
    assert stripped_outputs(nb) == []
    assert embedded_media(nb) == [(0, 0, "data:image/gif in text/html", 20),
                                  (0, 1, "image/png", len(png))]

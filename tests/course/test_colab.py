"""The course's repository setting, the notebooks' badge and set-up cell, the README's badges,
and ``release --repo-url`` rewriting all of them in a copy of the checkout."""

import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

import vidgen_tf
from tests.conftest import REPO
from vidgen_tf.course.colab import (CourseSource, SettingsError, colab_setup_source,
                                    notebook_agrees, read_source, readme_problems,
                                    sync_notebook, sync_readme, write_source)
from vidgen_tf.course.release import lesson_files, student_edition

FORK = CourseSource("https://github.com/prof-x/video-course", "fall-2027")


def _source():
    return read_source(os.path.join(REPO, "pyproject.toml"))


def test_the_setting_cells_and_badges_agree():
    source = _source()
    problems = []
    for edition in ("notebooks", "lessons"):
        for name in lesson_files(os.path.join(REPO, edition)):
            notebook = nbformat.read(os.path.join(REPO, edition, name), as_version=4)
            problems += notebook_agrees(notebook, source, f"{edition}/{name}",
                                        vidgen_tf.__version__)
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        problems += readme_problems(f.read(), source, lesson_files(os.path.join(REPO,
                                                                                "lessons")))
    assert not problems, ("run python -m vidgen_tf.course sync-colab, then release:\n"
                          + "\n".join(problems))


def test_the_set_up_cell_installs_from_the_setting_and_leaves_tensorflow_alone():
    cell = colab_setup_source(FORK, "0.2.0")
    pip = [line for line in cell.splitlines() if "pip install" in line]
    assert pip == ['    !pip install -q "vidgen_tf @ git+https://github.com/prof-x/video-course'
                   '@fall-2027" "moviepy>=2.1"']
    assert "tensorflow" not in pip[0].lower() and "keras" not in pip[0].lower()
    assert 'check_install("0.2.0")' in cell
    # the Drive line is there, commented, and names the variable the lessons read
    assert '# import os; os.environ["VIDGEN_RUNS"] = "/content/drive/' in cell


def test_badge_and_colab_address():
    assert FORK.slug == "prof-x/video-course"
    assert FORK.colab_url("lessons/02_gan.ipynb") == (
        "https://colab.research.google.com/github/prof-x/video-course/blob/fall-2027/lessons/"
        "02_gan.ipynb")
    assert FORK.badge("lessons/02_gan.ipynb").startswith(
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](")
    assert CourseSource("https://github.com/a/b.git").slug == "a/b"


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "github.com/a/b",
                                 "https://github.com/a", "https://github.com/a/b/tree/main"])
def test_a_repository_colab_cannot_open_is_refused(url):
    with pytest.raises(SettingsError, match=re.escape(repr(url))):
        CourseSource(url)


def test_sync_inserts_updates_and_is_idempotent():
    nb = nbformat.v4.new_notebook()
    old = nbformat.v4.new_code_cell("# NBVAL_SKIP\n# On Colab: the old cell")
    old.outputs = [nbformat.v4.new_output("stream", text="x\n")]
    nb.cells = [old, nbformat.v4.new_markdown_cell("# Lesson 07"),
                nbformat.v4.new_code_cell("x = 1")]
    assert sync_notebook(nb, FORK, "notebooks/07_x.ipynb", "0.2.0")
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "markdown", "code"]
    assert nb.cells[0].source == FORK.badge("notebooks/07_x.ipynb")
    assert nb.cells[1].source == colab_setup_source(FORK, "0.2.0")
    assert nb.cells[1].outputs == []              # outputs of the old source are gone
    assert not notebook_agrees(nb, FORK, "notebooks/07_x.ipynb", "0.2.0")
    assert not sync_notebook(nb, FORK, "notebooks/07_x.ipynb", "0.2.0")
    # a new version changes the cell; the student edition's badge opens lessons/
    assert sync_notebook(nb, FORK, "notebooks/07_x.ipynb", "0.3.0")
    student = student_edition(nb)
    assert student.cells[0].source == FORK.badge("lessons/07_x.ipynb")
    assert notebook_agrees(nb, FORK, "notebooks/07_x.ipynb", "0.2.0")   # a stale version


def test_readme_links_follow_the_setting():
    text = ("| 02 | [![Open In Colab](x.svg)](https://colab.research.google.com/github/a/b/blob/"
            "main/lessons/02_gan.ipynb) |\n")
    new = sync_readme(text, FORK)
    assert FORK.colab_url("lessons/02_gan.ipynb") in new and "github/a/b" not in new
    assert readme_problems(text, FORK, ["02_gan.ipynb"]) != []
    assert readme_problems(new.replace("x.svg", "https://colab.research.google.com/assets/"
                                                "colab-badge.svg"), FORK, ["02_gan.ipynb"]) == []
    assert readme_problems(new, FORK, ["03_mocogan.ipynb"]) == [
        "README: no Colab badge for lessons/03_mocogan.ipynb"]


def test_write_source_keeps_the_rest_of_pyproject(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n\n[tool.vidgen_tf.course]\nrepository = '
                    '"https://github.com/a/b"\nbranch = "main"\n\n[tool.pytest.ini_options]\n'
                    'testpaths = ["tests"]\n')
    assert write_source(str(path), FORK)
    assert read_source(str(path)) == FORK
    text = path.read_text()
    assert text.startswith('[project]\nname = "x"\n') and 'testpaths = ["tests"]' in text
    assert not write_source(str(path), FORK)
    bare = tmp_path / "bare.toml"
    bare.write_text('[project]\nname = "x"\n')
    with pytest.raises(SettingsError, match="bare.toml has no `repository"):
        read_source(str(bare))
    write_source(str(bare), FORK)
    assert read_source(str(bare)) == FORK


def test_release_with_repo_url_rewrites_cells_and_badges(tmp_path):
    """The instructor's command on a copy of the checkout: every notebook of both editions and
    the README point at the fork, the setting is kept, and the check agrees."""
    for name in ("notebooks", "lessons"):
        shutil.copytree(os.path.join(REPO, name), tmp_path / name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(REPO, name), tmp_path / name)
    command = [sys.executable, "-m", "vidgen_tf.course", "release",
               "--notebooks", str(tmp_path / "notebooks"), "--lessons", str(tmp_path / "lessons"),
               "--repo-url", FORK.repository, "--branch", FORK.branch]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert read_source(str(tmp_path / "pyproject.toml")) == FORK
    lessons = lesson_files(tmp_path / "lessons")
    assert lessons == lesson_files(os.path.join(REPO, "lessons"))
    for edition in ("notebooks", "lessons"):
        for name in lessons:
            nb = nbformat.read(tmp_path / edition / name, as_version=4)
            assert not notebook_agrees(nb, FORK, f"{edition}/{name}", vidgen_tf.__version__)
    readme = (tmp_path / "README.md").read_text()
    assert readme_problems(readme, FORK, lessons) == []
    assert "vidgen-tf/vidgen_tf" not in readme.split("## The lessons")[1].split("##")[0]

    bad = subprocess.run(command[:-4] + ["--repo-url", "https://gitlab.com/a/b"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "must be a GitHub URL" in bad.stderr
    assert "Traceback" not in bad.stderr

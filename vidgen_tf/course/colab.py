"""Colab: the repository the course is published from, the set-up cell and the badges.

Whoever publishes the course sets its repository in one place, ``pyproject.toml``::

    [tool.vidgen_tf.course]
    repository = "https://github.com/OWNER/REPO"
    branch = "main"

and ``python -m vidgen_tf.course release --repo-url URL [--branch B]`` (or ``sync-colab``)
writes it there, then into every notebook and the README:

- an "Open in Colab" badge as each notebook's first cell, pointing at that notebook
  (``notebooks/X`` in the reader's edition, ``lessons/X`` in the student edition);
- the set-up cell after it, which on Colab pip-installs this package from that repository and
  upgrades moviepy (Colab preinstalls 1.0.3; the course needs 2.x), never touching TensorFlow
  or Keras (the package's ranges accept Colab's versions); then, everywhere, checks that the
  package is at least the version the notebook was written for and prints what it runs on
  (``vidgen_tf.install.check_install``);
- one badge per lesson in the README's lesson table.

A test checks that the setting, every notebook's first two cells and the README agree.

Introduced in lesson 00 (instructor guide: ``lessons/README.md``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SECTION = "[tool.vidgen_tf.course]"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9][\w.-]*)/([\w.-]+?)(?:\.git)?/?$")
_COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+?/blob/"
                         r"[^)\s\"']+?/(notebooks|lessons)/(\d\d_[\w-]+\.ipynb)")


class SettingsError(ValueError):
    """The course's repository setting is missing or not a GitHub repository."""


@dataclass(frozen=True)
class CourseSource:
    """Where the course is published: a GitHub repository and a branch.

    Attributes:
        repository: str. ``https://github.com/OWNER/REPO``.
        branch: str. The branch Colab opens and pip installs from.
    """

    repository: str
    branch: str = "main"

    def __post_init__(self):
        if not _GITHUB.match(self.repository):
            raise SettingsError(
                f"The course's repository must be a GitHub URL like "
                f"https://github.com/OWNER/REPO (Colab opens notebooks from GitHub); got "
                f"{self.repository!r}.")
        if not re.fullmatch(r"[\w./-]+", self.branch):
            raise SettingsError(f"Not a branch name: {self.branch!r}.")

    @property
    def slug(self) -> str:
        """``OWNER/REPO``."""
        owner, repo = _GITHUB.match(self.repository).groups()
        return f"{owner}/{repo}"

    def colab_url(self, path: str) -> str:
        """The Colab address that opens ``path`` (relative to the repository)."""
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.branch}/{path}"

    def badge(self, path: str) -> str:
        """Markdown of an "Open in Colab" badge for ``path``."""
        return f"[![Open In Colab]({BADGE_IMAGE})]({self.colab_url(path)})"

    def pip_target(self) -> str:
        """What pip installs: ``vidgen_tf @ git+URL@BRANCH``."""
        return f"vidgen_tf @ git+https://github.com/{self.slug}@{self.branch}"


def read_source(pyproject: str) -> CourseSource:
    """The ``[tool.vidgen_tf.course]`` setting of a ``pyproject.toml``.

    Raises:
        SettingsError: the file has no such section or no ``repository`` in it.
    """
    values = _section_values(_read(pyproject))
    if "repository" not in values:
        raise SettingsError(f"{pyproject} has no `repository = \"...\"` under {SECTION}: "
                            f"run python -m vidgen_tf.course release --repo-url URL.")
    return CourseSource(values["repository"], values.get("branch", "main"))


def write_source(pyproject: str, source: CourseSource) -> bool:
    """Write the setting into ``pyproject.toml`` (section added if missing); return whether
    the file changed."""
    text = _read(pyproject)
    block = f'{SECTION}\nrepository = "{source.repository}"\nbranch = "{source.branch}"\n'
    pattern = re.compile(re.escape(SECTION) + r"\n(?:[^\[\n][^\n]*\n|\n)*")
    if pattern.search(text):
        new = pattern.sub(lambda _: block + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        new = text.rstrip("\n") + "\n\n" + block
    if new == text:
        return False
    with open(pyproject, "w", encoding="utf-8") as f:
        f.write(new)
    return True


def _read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def _section_values(text):
    """``key = "value"`` pairs of the course section (a small reader: Python 3.10 has no
    tomllib, and the section holds two strings)."""
    values, inside = {}, False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped == SECTION
        elif inside:
            match = re.fullmatch(r'([\w-]+)\s*=\s*"([^"]*)"\s*(#.*)?', stripped)
            if match:
                values[match.group(1)] = match.group(2)
    return values


# --- the notebook cells ---------------------------------------------------------------------

SETUP_HEAD = "# Set-up. On Colab: install the course package"


def colab_setup_source(source: CourseSource, version: str) -> str:
    """The source of every notebook's set-up cell (the first code cell).

    Args:
        source: where the course is published.
        version: str. The ``vidgen_tf`` version the notebook is written for.
    """
    return (
        f"{SETUP_HEAD} (TensorFlow and Keras stay as Colab ships\n"
        "# them). To keep training runs across a disconnect, uncomment the two Drive lines.\n"
        "import sys\n"
        "\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    !pip install -q \"{source.pip_target()}\" \"moviepy>=2.1\"\n"
        "    # from google.colab import drive; drive.mount(\"/content/drive\")\n"
        "    # import os; os.environ[\"VIDGEN_RUNS\"] = \"/content/drive/MyDrive/vidgen_tf/runs\"\n"
        "\n"
        "from vidgen_tf.install import check_install\n"
        "\n"
        f"print(check_install(\"{version}\"))  # stops here if the installed package is older"
    )


def is_setup_cell(cell) -> bool:
    """Whether a cell is a (possibly outdated) set-up cell."""
    return cell.cell_type == "code" and (
        cell.source.startswith(SETUP_HEAD)
        or cell.source.startswith("# NBVAL_SKIP\n# On Colab"))     # before version 0.2


def is_badge_cell(cell) -> bool:
    """Whether a cell is a (possibly outdated) "Open in Colab" badge."""
    return cell.cell_type == "markdown" and cell.source.startswith("[![Open In Colab]")


def sync_notebook(notebook, source: CourseSource, path: str, version: str) -> bool:
    """Make the badge (for ``path``) and the set-up cell the notebook's first two cells.

    Args:
        notebook: an ``nbformat`` notebook, changed in place.
        source: where the course is published.
        path: str. The notebook's path in the repository (``lessons/02_gan.ipynb``).
        version: str. The ``vidgen_tf`` version the notebook is written for.

    Returns:
        bool. Whether anything changed.
    """
    import nbformat

    cells = notebook.cells
    wanted = [("markdown", source.badge(path), is_badge_cell),
              ("code", colab_setup_source(source, version), is_setup_cell)]
    changed = False
    for index, (kind, text, recognise) in enumerate(wanted):
        found = next((i for i, cell in enumerate(cells[:2]) if recognise(cell)), None)
        if found is None:
            new = (nbformat.v4.new_markdown_cell(text) if kind == "markdown"
                   else nbformat.v4.new_code_cell(text))
            cells.insert(index, new)
            changed = True
            continue
        cell = cells.pop(found)
        changed |= found != index
        if cell.source != text:
            changed = True
            cell.source = text
            if kind == "code":      # its outputs came from the old source
                cell.outputs, cell.execution_count = [], None
        cells.insert(index, cell)
    return changed


def notebook_agrees(notebook, source: CourseSource, path: str, version: str) -> list:
    """What differs between a notebook's first two cells and the setting (empty: agrees)."""
    cells = notebook.cells
    problems = []
    if not cells or cells[0].source != source.badge(path):
        problems.append(f"{path}: the first cell is not the badge for {source.colab_url(path)}")
    if len(cells) < 2 or cells[1].source != colab_setup_source(source, version):
        problems.append(f"{path}: the second cell is not the set-up cell for "
                        f"{source.pip_target()} and version {version}")
    return problems


# --- the README -----------------------------------------------------------------------------

def sync_readme(text: str, source: CourseSource) -> str:
    """Point every Colab link of the README at ``source`` (same edition and lesson)."""
    return _COLAB_LINK.sub(lambda m: source.colab_url(f"{m.group(1)}/{m.group(2)}"), text)


def readme_problems(text: str, source: CourseSource, lessons) -> list:
    """What the README lacks: a badge per lesson of the student edition that opens it from
    ``source``, and no Colab link elsewhere."""
    problems = [f"README: no Colab badge for lessons/{name}" for name in lessons
                if source.badge(f"lessons/{name}") not in text]
    for match in _COLAB_LINK.finditer(text):
        if match.group(0) != source.colab_url(f"{match.group(1)}/{match.group(2)}"):
            problems.append(f"README: {match.group(0)} is not from {source.repository} "
                            f"({source.branch})")
    return problems


def sync_course(repo: str = ".", source: CourseSource | None = None, version: str | None = None):
    """Write ``source`` into ``pyproject.toml`` (when given), the reader's edition and the
    README of the checkout at ``repo``; return the files changed.

    The student edition follows at the next ``release``, which re-makes its badges.
    """
    import nbformat

    import vidgen_tf
    from vidgen_tf.course.release import lesson_files

    pyproject = os.path.join(repo, "pyproject.toml")
    changed = []
    if source is not None and write_source(pyproject, source):
        changed.append(pyproject)
    source = read_source(pyproject)
    version = version or vidgen_tf.__version__
    folder = os.path.join(repo, "notebooks")
    for name in lesson_files(folder):
        path = os.path.join(folder, name)
        notebook = nbformat.read(path, as_version=4)
        if sync_notebook(notebook, source, f"notebooks/{name}", version):
            nbformat.write(notebook, path)
            changed.append(path)
    readme = os.path.join(repo, "README.md")
    text = _read(readme)
    new = sync_readme(text, source)
    if new != text:
        with open(readme, "w", encoding="utf-8") as f:
            f.write(new)
        changed.append(readme)
    return changed

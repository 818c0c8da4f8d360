"""The Colab set-up cell that opens every notebook, made from one constant.

On Colab the cell pip-installs this package from its repository and upgrades moviepy
(Colab preinstalls moviepy 1.0.3; the course needs 2.x). It never touches TensorFlow or Keras:
the package's ranges accept Colab's versions, so pip leaves them alone. Elsewhere the cell
does nothing, and nbval skips it (``# NBVAL_SKIP``).

A test checks that every notebook's first code cell is exactly ``colab_setup_source()``;
change ``REPOSITORY_URL`` here, then re-run ``python -m vidgen_tf.course sync-colab``.

Introduced in lesson 00.
"""

REPOSITORY_URL = "https://github.com/vidgen-tf/vidgen_tf"


def colab_setup_source(url: str = REPOSITORY_URL) -> str:
    """The source of the first code cell of every notebook."""
    return (
        "# NBVAL_SKIP\n"
        "# On Colab: install the course package (TensorFlow and Keras stay as Colab ships "
        "them).\n"
        "import sys\n"
        "\n"
        "if \"google.colab\" in sys.modules:\n"
        f"    !pip install -q \"vidgen_tf @ git+{url}\" \"moviepy>=2.1\""
    )


def is_setup_cell(cell) -> bool:
    """Whether a notebook cell is a (possibly outdated) Colab set-up cell."""
    return cell.cell_type == "code" and cell.source.startswith("# NBVAL_SKIP\n# On Colab")


def sync_setup_cell(notebook) -> bool:
    """Make ``colab_setup_source()`` the notebook's first cell; return whether it changed."""
    import nbformat

    first = notebook.cells[0] if notebook.cells else None
    if first is not None and is_setup_cell(first):
        if first.source == colab_setup_source():
            return False
        first.source = colab_setup_source()
        return True
    notebook.cells.insert(0, nbformat.v4.new_code_cell(colab_setup_source()))
    return True

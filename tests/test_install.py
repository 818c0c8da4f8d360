"""The notebooks' first-cell check: a stale install is refused with what to do."""

import keras
import pytest
import tensorflow as tf

import vidgen_tf
from vidgen_tf.install import StaleInstallError, check_install, version_tuple


@pytest.mark.parametrize("text, expected", [("0.2.0", (0, 2, 0)), ("1.10", (1, 10)),
                                            ("0.2.0.dev3", (0, 2, 0)), ("0.3rc1", (0, 3))])
def test_version_tuple(text, expected):
    assert version_tuple(text) == expected


def test_version_tuple_refuses_what_is_not_a_version():
    with pytest.raises(ValueError, match="'main'"):
        version_tuple("main")


def test_the_current_package_passes_and_describes_the_setup(monkeypatch):
    monkeypatch.setenv("VIDGEN_PROFILE", "smoke")
    line = check_install(vidgen_tf.__version__)
    assert line.startswith(f"vidgen_tf {vidgen_tf.__version__} | profile smoke (device ")
    assert f"TensorFlow {tf.__version__}" in line and f"Keras {keras.__version__}" in line
    # 0.10 is newer than 0.9: compared as numbers, not as text
    assert check_install("0.9", installed="0.10.0", imported="0.10.0").startswith(
        "vidgen_tf 0.10.0")


def test_an_older_install_than_the_notebook_is_refused():
    with pytest.raises(StaleInstallError, match=r"needs vidgen_tf 0\.3\.0 or newer; this "
                                                r"session has 0\.2\.0.*force-reinstall"):
        check_install("0.3.0", installed="0.2.0", imported="0.2.0")


def test_an_old_copy_still_imported_asks_for_a_restart():
    with pytest.raises(StaleInstallError, match=r"still has vidgen_tf 0\.1\.0 imported, but "
                                                r"0\.2\.0 is now installed.*Restart"):
        check_install("0.1.0", installed="0.2.0", imported="0.1.0")

"""The wheel `pip install .` makes: every package of the layer in it, so that the installed `mailhooks` and
`mailhooks-local` commands import what the repository has."""

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from devstack.template import ROOT

LAYER = ROOT / "layers" / "common"


def subpackages() -> list[str]:
    """Every package directory of the layer's mailhooks, as a path in the wheel (mailhooks/store/, ...)."""
    return sorted(
        f"{init.parent.relative_to(LAYER).as_posix()}/"
        for init in (LAYER / "mailhooks").rglob("__init__.py")
        if "__pycache__" not in init.parts
    )


def test_the_wheel_holds_every_package_of_the_layer_and_the_local_stack(tmp_path: Path) -> None:
    # Built from a copy: setuptools leaves build/ and *.egg-info behind in the tree it builds.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".*", "__pycache__", "build", "*.egg-info", "tests", "bench", "events"),
    )
    # Offline when this environment has setuptools already; otherwise pip fetches it for the build.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    built = subprocess.run(  # noqa: S603 (this interpreter's pip, on a copy of this repository)
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, ".", "-w", str(tmp_path / "dist")],
        cwd=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (tmp_path / "dist").glob("mailhooks-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        directories = {name.rsplit("/", 1)[0] + "/" for name in archive.namelist() if "/" in name}

    expected = {"mailhooks/store/", "mailhooks/admin/", "devstack/", *subpackages()}
    assert {"mailhooks/inbound/operations/", "mailhooks/outbound/delivery/"} <= expected
    assert sorted(expected - directories) == []

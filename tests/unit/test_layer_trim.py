"""The shared layer as built (layers/shared/Makefile leaves unused parts of its dependencies out)
still holds everything every handler imports: each handler module is imported in a fresh
interpreter whose path is the built layer, the function's folder, the standard library and the
AWS SDK the Lambda runtime provides (botocore and its dependencies, from this virtualenv)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_SDK = ("botocore", "dateutil", "six.py")  # in the Lambda runtime, not in our layer
ADMIN_DEPS = ("pydantic", "pydantic_core", "annotated_types", "typing_inspection")  # its own layer
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file())

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artifacts = tmp_path_factory.mktemp("shared-layer")
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / "shared"),
            "build-SharedLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return artifacts / "python"


def runtime_dir(tmp_path: Path, names: tuple[str, ...]) -> Path:
    """A folder holding only ``names`` from this virtualenv's site-packages (links)."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder = tmp_path / "runtime"
    folder.mkdir(parents=True)
    for name in names:
        if (site / name).exists():
            (folder / name).symlink_to(site / name)
    return folder


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_imports_from_the_built_layer_alone(
    built_layer: Path, tmp_path: Path, function: str
) -> None:
    path = [ROOT / "functions" / function, built_layer, runtime_dir(tmp_path, RUNTIME_SDK)]
    if function == "admin":
        path += [ROOT / "layers" / "admin", runtime_dir(tmp_path / "admin", ADMIN_DEPS)]
    code = (
        "import sys; sys.path[:0] = sys.argv[1:]; import app; "
        "leaked = [m.__name__ for m in list(sys.modules.values()) "
        "if 'site-packages' in (getattr(m, '__file__', '') or '') and '/runtime/' not in m.__file__]; "
        "assert not leaked, leaked; assert 'boto3' not in sys.modules"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_REGION": "eu-central-1",
        "AWS_DEFAULT_REGION": "eu-central-1",
    }
    # -S: no site-packages, -I: no PYTHONPATH or user site; only the folders above. -B: no
    # __pycache__ written into the built layer (Lambda's /opt is read-only too), which the size
    # test below shares and would count.
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code, *map(str, path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_layer_the_telegram_webhook_loads_stays_under_10_mb_unzipped(built_layer: Path) -> None:
    # docs/PERFORMANCE.md's target, counted as make bench counts it (file sizes, MB = 10^6 bytes)
    from tests.bench.layers import TARGET_MB, sizes

    assert sum(sizes(built_layer.parent).values()) < TARGET_MB * 1e6

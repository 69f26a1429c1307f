"""The shared layer as built (layers/shared/Makefile leaves unused parts of its dependencies out)
still holds everything every handler imports: each handler module is imported in a fresh
interpreter whose path is the built layer, the function's folder, the standard library and the
AWS SDK the Lambda runtime provides (botocore and its dependencies, from this virtualenv)."""

from __future__ import annotations

import importlib.util
import os
import shutil
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
    from tests.bench.layers import LAYERS, build

    return build("shared", LAYERS["shared"], tmp_path_factory.mktemp("shared-layer")) / "python"


@pytest.fixture(scope="module")
def built_admin_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.bench.layers import LAYERS, build

    return build("admin", LAYERS["admin"], tmp_path_factory.mktemp("admin-layer")) / "python"


def runtime_dir(tmp_path: Path, names: tuple[str, ...]) -> Path:
    """A folder holding only ``names`` from this virtualenv's site-packages (links)."""
    site = Path(sysconfig.get_paths()["purelib"])
    folder = tmp_path / "runtime"
    folder.mkdir(parents=True)
    for name in names:
        if (site / name).exists():
            (folder / name).symlink_to(site / name)
    return folder


def run_alone(path: list[Path], code: str, cwd: Path) -> None:
    """Run ``code`` in an interpreter that sees only ``path`` and the standard library.

    -I: no PYTHONPATH or user site, -S: no site-packages, -B: no __pycache__ written into the
    built layers (Lambda's /opt is read-only too), which the bytecode tests below share."""
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-B",
            "-c",
            "import sys; sys.path[:0] = sys.argv[1:]; " + code,
            *map(str, path),
        ],
        env={
            "PATH": os.environ.get("PATH", ""),
            "AWS_REGION": "eu-central-1",
            "AWS_DEFAULT_REGION": "eu-central-1",
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_imports_from_the_built_layer_alone(
    built_layer: Path, tmp_path: Path, function: str
) -> None:
    path = [ROOT / "functions" / function, built_layer, runtime_dir(tmp_path, RUNTIME_SDK)]
    if function == "admin":
        path += [ROOT / "layers" / "admin", runtime_dir(tmp_path / "admin", ADMIN_DEPS)]
    code = (
        "import app; "
        "leaked = [m.__name__ for m in list(sys.modules.values()) "
        "if 'site-packages' in (getattr(m, '__file__', '') or '') and '/runtime/' not in m.__file__]; "
        "assert not leaked, leaked; assert 'boto3' not in sys.modules"
    )
    run_alone(path, code, tmp_path)


@pytest.mark.parametrize("layer", ["shared", "admin"])
def test_every_module_of_a_layer_ships_its_python_313_bytecode(
    built_layer: Path, built_admin_layer: Path, layer: str
) -> None:
    folder = {"shared": built_layer, "admin": built_admin_layer}[layer]
    modules = list(folder.rglob("*.py"))
    compiled = list(folder.rglob("*.pyc"))
    if sys.version_info[:2] != (3, 13):  # the build says it cannot compile for the runtime
        assert compiled == []
        return
    assert modules
    for module in modules:
        bytecode = module.parent / "__pycache__" / f"{module.stem}.cpython-313.pyc"
        header = bytecode.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, module
        # hash-based and never checked against the source: a zip's 2-second mtimes cannot spoil it
        assert int.from_bytes(header[4:8], "little") == 0b01, module
    assert len(compiled) == len(modules)


def test_the_webhook_layer_besides_its_bytecode_stays_within_its_budget(built_layer: Path) -> None:
    # counted as make bench counts it (file sizes, MB = 10^6 bytes); bytecode reported apart
    from tests.bench.layers import FILES_BUDGET_MB, bytecode_size, sizes

    assert sum(sizes(built_layer.parent).values()) - bytecode_size(built_layer) < FILES_BUDGET_MB * 1e6


def test_swagger_ui_is_in_the_admin_layer_and_served_from_it(
    built_layer: Path, built_admin_layer: Path, tmp_path: Path
) -> None:
    shared_assets = built_layer / "aws_lambda_powertools" / "event_handler" / "openapi" / "swagger_ui"
    assert not list(shared_assets.glob("*.js"))
    assert not list(shared_assets.glob("*.css"))
    # Lambda extracts the admin function's layers into one /opt, the admin layer after the shared
    opt = tmp_path / "opt"
    for layer in (built_layer, built_admin_layer):
        shutil.copytree(layer, opt, dirs_exist_ok=True)
    # this machine's pydantic before the layer's (built for arm64)
    path = [ROOT / "functions" / "admin", runtime_dir(tmp_path / "admin", ADMIN_DEPS), opt]
    code = (
        "from supportbot_admin import api; assert api.SWAGGER_ASSETS.is_relative_to(sys.argv[3]); "
        "assert (api.SWAGGER_ASSETS / 'swagger-ui-bundle.min.js').is_file(); "
        "assert (api.SWAGGER_ASSETS / 'swagger-ui.min.css').is_file()"
    )
    run_alone([*path, runtime_dir(tmp_path, RUNTIME_SDK)], code, tmp_path)

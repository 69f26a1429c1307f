"""Layer sizes: each layer built as ``sam build`` builds it (its Makefile, into a temporary
folder), unzipped and zipped, and what takes the space (top-level packages, largest first).

The Telegram webhook loads the shared layer only (template.yaml, Globals); the admin layer is
listed for information. boto3/botocore come with the Lambda runtime and are in neither.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# What the shared layer holds besides its bytecode (5.8 MB): a dependency or an asset creeping in
# shows here before it shows in the cold start. 6.0 MB until the operators, canned replies, triage
# and people modules together passed it by a few KB of our own source (6.006 MB); 6.1 MB until
# issue 18's Telegram desk (its inbound side, copies, card) and issue 20's auto-close and queue
# position passed it by 19 KB of our own source (6.119 MB), no dependency or asset added.
FILES_BUDGET_MB = 6.2
LAYERS = {"shared": "build-SharedLayer", "admin": "build-AdminLayer"}
WEBHOOK_LAYERS = ("shared",)


def build(layer: str, target: str, artifacts: Path) -> Path:
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "layers" / layer),
            target,
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return artifacts


def sizes(folder: Path) -> dict[str, int]:
    """Bytes per top-level entry of ``python/`` (a package with its .dist-info counted apart)."""
    result: dict[str, int] = {}
    python = folder / "python"
    for entry in python.iterdir():
        files = [entry] if entry.is_file() else [p for p in entry.rglob("*") if p.is_file()]
        result[entry.name] = sum(p.stat().st_size for p in files)
    return result


def bytecode_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*.pyc"))


def zipped_size(folder: Path, into: Path) -> int:
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder))
    return into.stat().st_size


def report(top: int = 8) -> dict[str, Any]:
    lines = ["Layer sizes (built with each layer's Makefile, as sam build does; MB = 10^6 bytes)"]
    figures: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for layer, target in LAYERS.items():
            if not (ROOT / "layers" / layer / "Makefile").is_file():
                continue
            folder = build(layer, target, Path(tmp) / layer)
            parts = sizes(folder)
            total = sum(parts.values())
            packed = zipped_size(folder, Path(tmp) / f"{layer}.zip")
            bytecode = bytecode_size(folder)
            figures[layer] = {"unzipped": total, "zipped": packed, "bytecode": bytecode, "parts": parts}
            ranked = sorted(parts.items(), key=lambda item: -item[1])
            lines.append(
                f"{layer:7} unzipped {total / 1e6:5.2f} MB ({bytecode / 1e6:.2f} MB of it bytecode), zipped"
                f" {packed / 1e6:5.2f} MB; largest (with their bytecode): "
                + ", ".join(f"{name} {size / 1e6:.2f}" for name, size in ranked[:top])
            )
    loaded = [figures[layer] for layer in WEBHOOK_LAYERS if layer in figures]
    webhook = sum(f["unzipped"] for f in loaded) / 1e6
    webhook_bytecode = sum(f["bytecode"] for f in loaded) / 1e6
    lines.append(
        f"Layers the Telegram webhook loads: {webhook:.2f} MB unzipped, {webhook - webhook_bytecode:.2f} MB"
        f" without bytecode (for information: the bytecode is what halves the cold start, whose ratio is the"
        " target)"
    )
    return {
        "text": "\n".join(lines),
        "figures": figures,
        "webhook_mb": webhook,
        "webhook_bytecode_mb": webhook_bytecode,
    }


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    print(report()["text"])


if __name__ == "__main__":
    main()

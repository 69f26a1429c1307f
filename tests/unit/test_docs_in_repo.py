"""The repository stands alone: what its files cite is inside it (docs/...), never the design
folder beside the checkout or a bare "ARCHITECTURE" that a clone cannot open."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Built from parts, so this file holds no such citation itself and is checked like every other.
DESIGN_FOLDER = "/".join(("..", "shared"))
BARE_CITATION = "(" + "ARCHITECTURE" + ', "'
OUTSIDE = re.compile("|".join(map(re.escape, (DESIGN_FOLDER, BARE_CITATION))))
CITED_SECTION = re.compile(r"docs/ARCHITECTURE\.md`?, \"([^\"]+)\"")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [ROOT / name for name in names.splitlines()]
    return [f for f in files if f.suffix in {".py", ".md", ".yaml", ".js", ".html", ".txt"} and f.is_file()]


def test_no_file_cites_a_design_file_outside_the_repository() -> None:
    files = tracked_text_files()
    assert len(files) > 100  # the listing really found the project
    offenders = [
        f"{f.relative_to(ROOT)}:{n}"
        for f in files
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_every_cited_architecture_rule_is_in_the_document() -> None:
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    cited = {
        section
        for f in tracked_text_files()
        for section in CITED_SECTION.findall(f.read_text(encoding="utf-8").replace("\n", " "))
    }
    assert cited  # the docstrings do cite rules by name
    missing = sorted(s for s in cited if s not in doc)
    assert missing == []

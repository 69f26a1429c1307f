"""``make diagram``: draw the bot's state machine into docs/ARCHITECTURE.md.

The Mermaid source comes from the machine's own definition (``statemachine/diagram.py``), so the
picture cannot drift from the code; a test fails when the embedded copy is out of date.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

from statemachine.diagram import mermaid
from supportbot.bot.machine import build_machine
from supportbot.config import Config

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "ARCHITECTURE.md"
START, END = "<!-- diagram:start (make diagram) -->", "<!-- diagram:end -->"
BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)


def current() -> str:
    """The diagram block as ``make diagram`` writes it."""
    return f"{START}\n```mermaid\n{mermaid(build_machine(Config()))}\n```\n{END}"


def embed(text: str) -> str:
    """``text`` with its diagram block replaced by the current one."""
    if not BLOCK.search(text):
        raise ValueError(f"no {START} ... {END} block to replace")
    return BLOCK.sub(lambda _: current(), text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", type=pathlib.Path, default=DOC)
    args = parser.parse_args(argv)
    text = args.doc.read_text(encoding="utf-8")
    updated = embed(text)
    if updated != text:
        args.doc.write_text(updated, encoding="utf-8")
    print(f"{args.doc}: {'updated' if updated != text else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

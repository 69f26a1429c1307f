"""docs/ARCHITECTURE.md shows the state machine as it is: ``make diagram`` would not change it."""

from __future__ import annotations

import pytest

from infra import diagram


def test_the_embedded_diagram_is_current() -> None:
    text = diagram.DOC.read_text(encoding="utf-8")
    assert diagram.embed(text) == text, "run `make diagram` and commit docs/ARCHITECTURE.md"


def test_every_static_state_and_family_is_drawn() -> None:
    from supportbot.bot.machine import build_machine
    from supportbot.config import Config

    machine = build_machine(Config())
    drawn = diagram.current()
    for state in machine.states:
        assert f'"{state.name}"' in drawn
    for family in machine.families:
        assert f'"{family.prefix}:* — ' in drawn


def test_a_document_without_the_block_is_refused(tmp_path) -> None:
    doc = tmp_path / "ARCHITECTURE.md"
    doc.write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no <!-- diagram:start"):
        diagram.main(["--doc", str(doc)])
    doc.write_text(f"# x\n\n{diagram.START}\nold\n{diagram.END}\n", encoding="utf-8")
    assert diagram.main(["--doc", str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == f"# x\n\n{diagram.current()}\n"

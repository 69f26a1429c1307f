"""Sessions: compact JSON-safe storage, tolerant loading, migrations, the screen token."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from statemachine import MIGRATIONS, ParamsError, Session
from statemachine.session import check_params, next_token, plain

FRESH = Session("home")


def test_round_trip_through_json() -> None:
    # GIVEN a session with everything set
    session = Session(
        "order",
        {"id": 7, "q": None},
        [("home", {}), ("orders", {"page": 2})],
        {"a": [1, {"b": 2.5}]},
        "z1",
        "orders",
        {"auth": {"t": "x"}},
    )
    # WHEN stored as JSON and loaded  THEN the same session
    assert Session.from_dict(json.loads(json.dumps(session.to_dict())), home="home") == session


def test_empty_parts_are_omitted() -> None:
    assert Session("home").to_dict() == {"v": 2, "s": "home", "t": "0"}


def test_to_dict_is_a_copy() -> None:
    session = Session("home", data={"list": [1]})
    session.to_dict()["d"]["list"].append(2)
    assert session.data == {"list": [1]}


def test_copy_is_deep() -> None:
    session = Session("a", {"p": 1}, [("h", {"x": 1})], {"d": {"e": 1}})
    clone = session.copy()
    clone.params["p"] = 2
    clone.history[0][1]["x"] = 2
    clone.data["d"]["e"] = 2
    assert session == Session("a", {"p": 1}, [("h", {"x": 1})], {"d": {"e": 1}})


def test_numbers_from_dynamodb_become_plain() -> None:
    # GIVEN what boto3 gives back: Decimals
    stored = {"v": Decimal(2), "s": "orders", "p": {"page": Decimal(3)}, "d": {"x": Decimal("0.5")}, "t": "a"}
    # WHEN loaded  THEN ints and floats
    session = Session.from_dict(stored, home="home")
    assert session == Session("orders", {"page": 3}, data={"x": 0.5}, token="a")
    assert type(session.params["page"]) is int


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "v1",
        [],
        {},
        {"v": 3, "s": "x"},
        {"v": 0, "s": "x"},
        {"v": True, "s": "x"},
        {"v": "1", "s": "x"},
        {"v": 1},
        {"v": 1, "s": ""},
        {"v": 1, "s": 5},
        {"v": 1, "s": "x", "p": []},
        {"v": 1, "s": "x", "p": {"a": [1]}},
        {"v": 1, "s": "x", "p": {"a": float("nan")}},
        {"v": 1, "s": "x", "d": []},
        {"v": 1, "s": "x", "d": {"k": object()}},
        {"v": 1, "s": "x", "d": {1: "non-str key"}},
        {"v": 1, "s": "x", "h": {"a": 1}},
        {"v": 1, "s": "x", "h": ["ab"]},
        {"v": 1, "s": "x", "h": [["a", {}, {}]]},
        {"v": 1, "s": "x", "h": [[1, {}]]},
        {"v": 1, "s": "x", "h": [[]]},
        {"v": 1, "s": "x", "h": [5]},
        {"v": 2, "s": "x", "t": "ABC"},
        {"v": 2, "s": "x", "t": "abcd"},
        {"v": 2, "s": "x", "t": 5},
        {"v": 2, "s": "x", "u": []},
        {"v": 2, "s": "x", "f": 3},
    ],
)
def test_unreadable_data_gives_a_fresh_session(stored: Any) -> None:
    # GIVEN missing, damaged, unknown-version data  WHEN loaded  THEN a fresh session at home
    assert Session.from_dict(stored, home="home") == FRESH


def test_defaults_of_a_minimal_stored_session() -> None:
    assert Session.from_dict({"v": 2, "s": "x"}, home="home") == Session("x")


def test_version_one_data_is_adopted_by_the_current_flow() -> None:
    # GIVEN a session stored before flows had names: one flat data dict, no flow
    stored = {
        "v": 1,
        "s": "photo_note",
        "p": {"o": "A1"},
        "h": [["main"]],
        "d": {"photo_note": "red"},
        "t": "5",
    }
    # WHEN loaded  THEN everything is kept, the data waiting for the current state's flow to adopt it
    session = Session.from_dict(stored, home="home")
    assert session == Session("photo_note", {"o": "A1"}, [("main", {})], {"photo_note": "red"}, "5", "*")
    assert session.to_dict()["v"] == 2
    # AND without data there is nothing to adopt
    assert Session.from_dict({"v": 1, "s": "main", "t": "5"}, home="home") == Session("main", token="5")


def test_migrations_are_chained(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN version 3, with migrations 1 -> 2 (renamed key) and 2 -> 3 (new default)
    monkeypatch.setattr(Session, "VERSION", 3)

    def one_to_two(stored: dict[str, Any]) -> dict[str, Any]:
        return {**stored, "s": stored.pop("state")}

    def two_to_three(stored: dict[str, Any]) -> dict[str, Any]:
        return {**stored, "d": {"lang": "ru"}}

    monkeypatch.setitem(MIGRATIONS, 1, one_to_two)
    monkeypatch.setitem(MIGRATIONS, 2, two_to_three)
    # WHEN a version 1 session is loaded  THEN it is upgraded
    loaded = Session.from_dict({"v": 1, "state": "orders"}, home="home")
    assert loaded == Session("orders", data={"lang": "ru"})
    assert loaded.to_dict()["v"] == 3
    # a migration may give up
    monkeypatch.setitem(MIGRATIONS, 2, lambda stored: (_ for _ in ()).throw(ValueError("too old")))
    assert Session.from_dict({"v": 1, "state": "orders"}, home="home") == FRESH


def test_an_unmigratable_version_gives_a_fresh_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Session, "VERSION", 3)
    assert Session.from_dict({"v": 2, "s": "orders"}, home="home") == FRESH


def test_tokens_count_in_base36_and_wrap() -> None:
    assert [next_token(t) for t in ("0", "9", "a", "z", "10", "zz", "zzy", "zzz")] == [
        "1",
        "a",
        "b",
        "10",
        "11",
        "100",
        "zzz",
        "0",
    ]


def test_check_params() -> None:
    assert check_params({"a": 1, "b": "x", "c": True, "d": None, "e": 0.5}, "w") == {
        "a": 1,
        "b": "x",
        "c": True,
        "d": None,
        "e": 0.5,
    }
    with pytest.raises(ParamsError, match="w: param 1=2"):
        check_params({1: 2}, "w")  # type: ignore[dict-item]


def test_plain() -> None:
    assert plain({"a": (1, [Decimal("2.50"), {"b": None}])}) == {"a": [1, [2.5, {"b": None}]]}
    with pytest.raises(ValueError, match="not JSON-safe"):
        plain({"a": {1, 2}})


def test_a_dict_without_version_is_version_one() -> None:
    assert Session.from_dict({"s": "login"}, home="home") == Session("login")

"""Canned replies: admins write them (per language, placeholders, checked as Telegram HTML at
save), operators list and send them; a sent one reaches the customer filled in, in their language."""

from __future__ import annotations

import pytest

from tests.functional.admin.test_admin_support import customer_writes

ANNA = 100000401
GREETING = {
    "title": "Приветствие",
    "text": "Здравствуйте, <b>{name}</b>! Заказ №{order} уже в пути.",
    "translations": {
        "en": {"title": "Greeting", "text": "Hello, <b>{name}</b>! Order {order} is on its way."}
    },
}


def operator_key(admin) -> str:
    return admin.call("POST", "/operators", {"name": "Olga", "role": "operator"})[1]["key"]


def customer_asked_about_an_order(user_id=ANNA, language="en", name="Anna <Smith>", number="10042"):
    """A customer's message to support about an order, as the bot stores it (the conversation
    records her name and the order)."""
    from supportbot.config import get_config
    from supportbot.storage.sessions import SessionItem
    from supportbot.support.messages import NewMessage
    from supportbot.support.outbox import store

    SessionItem(user_id, language=language).save()
    context = {
        "language": language,
        "client_name": name,
        "info": {"order": f"№{number}", "order_id": "o1"},  # display text for the desk
        "order": {"id": "o1", "number": number},
    }
    store(get_config(), NewMessage(user_id, "blinger", [{"kind": "text", "text": "Where is it?"}], context))


def test_an_admin_writes_a_canned_reply_and_an_operator_lists_it(admin):
    status, created = admin.call("POST", "/canned-replies", GREETING)
    assert status == 201
    assert created["placeholders"] == ["name", "order"]
    assert created["version"] == 1
    assert created["updated_by"] == "ADMIN_API_KEY"
    assert created["translations"] == {"en": GREETING["translations"]["en"]}
    status, listed = admin.call("GET", "/canned-replies", key=operator_key(admin))
    assert status == 200
    assert [reply["id"] for reply in listed["canned_replies"]] == [created["id"]]
    assert (listed["default_language"], listed["languages"]) == ("ru", ["ru", "en"])


def test_operators_may_not_write_canned_replies(admin):
    key = operator_key(admin)
    created = admin.call("POST", "/canned-replies", GREETING)[1]
    refused = (403, {"detail": "needs role admin"})
    assert admin.call("POST", "/canned-replies", GREETING, key=key) == refused
    assert (
        admin.call("PUT", f"/canned-replies/{created['id']}", {**GREETING, "version": 1}, key=key) == refused
    )
    assert admin.call("DELETE", f"/canned-replies/{created['id']}", key=key) == refused


def test_a_canned_reply_is_edited_with_its_version_and_deleted(admin):
    created = admin.call("POST", "/canned-replies", GREETING)[1]
    path = f"/canned-replies/{created['id']}"
    status, edited = admin.call("PUT", path, {"title": "Привет", "text": "Добрый день!", "version": 1})
    assert status == 200
    assert (edited["version"], edited["translations"], edited["placeholders"]) == (2, {}, [])
    # A stale version is refused, and nothing changes
    assert admin.call("PUT", path, {"title": "Старое", "text": "x", "version": 1})[0] == 409
    assert admin.call("GET", "/canned-replies")[1]["canned_replies"][0]["title"] == "Привет"
    assert admin.call("PUT", "/canned-replies/000000000000", {**GREETING, "version": 1})[0] == 404
    assert admin.call("DELETE", path)[0] == 204
    assert admin.call("DELETE", path)[0] == 404
    assert admin.call("GET", "/canned-replies")[1]["canned_replies"] == []


def test_a_version_changed_between_the_read_and_the_write_is_a_conflict(admin, monkeypatch):
    from supportbot import canned

    created = admin.call("POST", "/canned-replies", GREETING)[1]
    real_get = canned.get_reply

    def read_then_another_admin_saves(reply_id):
        item = real_get(reply_id)
        other = real_get(reply_id)
        other.title = "Другой"
        other.save()
        return item

    monkeypatch.setattr(canned, "get_reply", read_then_another_admin_saves)
    status, body = admin.call("PUT", f"/canned-replies/{created['id']}", {**GREETING, "version": 1})
    assert status == 409
    assert "changed meanwhile" in body["message"]


@pytest.mark.parametrize(
    ("body", "loc", "says", "expected"),
    [
        ({"title": "X", "text": "Hi {customer}"}, ["body", "text"], "unknown placeholder {customer}", 400),
        ({"title": "X", "text": "Hi {}"}, ["body", "text"], "unknown placeholder {}", 400),
        ({"title": "X", "text": "<b>Hi"}, ["body", "text"], "not valid Telegram HTML", 400),
        ({"title": "X", "text": "<script>x</script>"}, ["body", "text"], "not valid Telegram HTML", 400),
        (
            {"title": "X", "text": "ok", "translations": {"en": {"text": "<i>{order}"}}},
            ["body", "translations", "en", "text"],
            "not valid Telegram HTML",
            400,
        ),
        # The document's translations leave the default language out: invalid by it, 422
        (
            {"title": "X", "text": "ok", "translations": {"ru": {"text": "дубль"}}},
            ["body", "translations", "ru"],
            "the default language",
            422,
        ),
        ({"title": "X", "text": "{name}" * 30 + "x" * 3700}, ["body", "text"], "too long", 400),
    ],
)
def test_a_text_telegram_would_refuse_is_refused_at_save_naming_the_field(admin, body, loc, says, expected):
    status, answer = admin.call("POST", "/canned-replies", body)
    assert status == expected
    (problem,) = answer["detail"]
    assert problem["loc"] == loc
    assert says in problem["msg"]
    assert admin.call("GET", "/canned-replies")[1]["canned_replies"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "text": "x"},
        {"title": "a\nb", "text": "x"},
        {"title": "X"},
        {"title": "   ", "text": "x"},
    ],
)
def test_bad_titles_and_missing_texts_are_refused(admin, body):
    assert admin.call("POST", "/canned-replies", body)[0] == 422


def test_a_sent_canned_reply_reaches_the_customer_filled_in_and_in_their_language(admin):
    created = admin.call("POST", "/canned-replies", GREETING)[1]
    customer_asked_about_an_order(language="en")
    status, queued = admin.call(
        "POST", f"/conversations/{ANNA}/reply", {"canned_id": created["id"]}, key=operator_key(admin)
    )
    assert status == 202, queued
    (sent,) = admin.queued()
    assert sent["user_id"] == ANNA
    assert sent["text"] == "💬 <b>Support:</b> Hello, <b>Anna &lt;Smith&gt;</b>! Order 10042 is on its way."


def test_a_customer_speaking_the_default_language_gets_the_default_text(admin):
    created = admin.call("POST", "/canned-replies", {"title": "Спасибо", "text": "Спасибо, {name}!"})[1]
    customer_asked_about_an_order(language="ru", name="Анна")
    assert admin.call("POST", f"/conversations/{ANNA}/reply", {"canned_id": created["id"]})[0] == 202
    assert admin.queued()[0]["text"] == "💬 <b>Поддержка:</b> Спасибо, Анна!"


def test_a_placeholder_the_customer_has_no_value_for_is_refused_and_nothing_is_sent(admin):
    created = admin.call("POST", "/canned-replies", GREETING)[1]
    customer_writes(ANNA, "Hello")  # no name or order recorded
    status, body = admin.call("POST", f"/conversations/{ANNA}/reply", {"canned_id": created["id"]})
    assert status == 409  # what this customer has not given: the stored state, not the request
    assert "{name}" in body["message"]
    assert admin.queued() == []


@pytest.mark.parametrize(
    "body", [{}, {"text": "Hi", "canned_id": "000000000000"}, {"canned_id": "NOT-AN-ID"}, {"text": "  \n "}]
)
def test_a_reply_is_a_text_or_a_canned_reply_never_both_or_neither(admin, body):
    customer_writes(ANNA, "Hello")
    assert admin.call("POST", f"/conversations/{ANNA}/reply", body)[0] == 422


def test_an_unknown_canned_reply_is_refused(admin):
    customer_writes(ANNA, "Hello")
    status, body = admin.call("POST", f"/conversations/{ANNA}/reply", {"canned_id": "000000000000"})
    assert status == 404
    assert "000000000000" in body["message"]

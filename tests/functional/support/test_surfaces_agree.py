"""Surfaces agree: the customer's chat, Blinger's thread and the admin's view of a conversation
show the same state, whoever moves it (the customer, an operator in Blinger, an admin)."""

from __future__ import annotations

import time

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.config import get_config
from supportbot.support import conversations, tickets
from supportbot.support.lifecycle import RefusedMove
from supportbot.support.surfaces import close_conversation, notify_ticket
from tests.functional.conftest import reset_singletons

ANN = 100000031
CLIENT = f"tg-{ANN}"
END = "✖️ End dialog"
API_TOKEN = "blinger-rest-token"


@pytest.fixture
def ann(harness, desk):
    # GIVEN Ann, who asked support a question that reached Blinger
    ann = harness.user(ANN, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    ann.tap("💬 Ask a question")
    ann.send("Where is my kettle?")
    desk.run_outbox()
    return ann


@pytest.fixture
def admin_client(desk, monkeypatch):
    """The admin function on the desk's outbox queue (the desk delivers what it queues)."""
    from functions.admin import app
    from tests.functional.admin.conftest import ADMIN_KEY, AdminClient

    monkeypatch.setenv("ADMIN_API_KEY", ADMIN_KEY)
    reset_singletons()
    return AdminClient(app, desk.queue_url)


@pytest.fixture
def with_api_token(desk, monkeypatch):
    """Blinger's REST API token configured (the stand-in accepts it)."""
    monkeypatch.setenv("BLINGER_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("BLINGER_REST_URL", desk.blinger.rest_url)
    desk.blinger.api_token = API_TOKEN
    reset_singletons()


def thread(desk) -> list[tuple[str, str, bool]]:
    return [(m.direction, m.data, m.echo_outgoing) for m in desk.blinger.conversation(CLIENT).messages]


def test_the_customer_ends_the_dialog_and_blinger_is_told_in_its_thread_without_a_token(harness, desk, ann):
    # WHEN Ann ends the dialog
    ann.tap(END)
    desk.run_outbox()
    # THEN her conversation is closed by her, she is asked to rate it
    conversation = conversations.latest(ANN)
    assert (conversation.status, conversation.closed_by) == ("closed", "customer")
    assert harness.world.last_bot_message(ANN).text.startswith("The conversation with support is closed.")
    # AND Blinger's thread says so (no REST API token: a line for the operator)
    assert thread(desk)[-1] == (
        "in",
        f"ℹ️ Клиент завершил диалог {conversation.ref}. Закройте разговор в Blinger.",
        False,
    )
    assert not [c for c in desk.blinger.calls if "/api/conversations/" in c.path]


def test_the_customer_ends_the_dialog_and_blinger_closes_it_through_its_api(
    harness, desk, ann, with_api_token
):
    # GIVEN an operator took the conversation (Blinger's events give us its id)
    assert desk.forward(desk.blinger.assign(CLIENT, "Мария"))[0] == 200
    blinger_id = desk.blinger.conversation(CLIENT).id
    # WHEN Ann ends the dialog
    ann.tap(END)
    desk.run_outbox()
    # THEN the bot called Blinger's conversations/close with that id, and Blinger closed it
    (call,) = [c for c in desk.blinger.calls if c.path == "/api/conversations/close"]
    assert call.status == 200
    assert call.body == {"conversation_id": blinger_id}
    assert call.headers.get("Authentication") == API_TOKEN
    assert desk.blinger.conversation(CLIENT).status == "closed"
    # AND the close event Blinger sends back changes nothing (already closed by the customer)
    for _ in range(50):
        events = [d for d in desk.blinger.deliveries if d.body.get("webhook") == "on_conversation_closed"]
        if events:
            break
        time.sleep(0.05)
    status, answer = desk.forward(events[0])
    assert (status, answer["ignored"]) == (200, "on_conversation_closed")
    assert conversations.latest(ANN).closed_by == "customer"


def test_the_operator_closes_and_a_later_text_does_not_continue_silently(harness, desk, ann):
    # WHEN the operator closes the conversation in Blinger
    assert desk.forward(desk.blinger.close(CLIENT))[0] == 200
    desk.run_outbox()
    closed = conversations.latest(ANN)
    assert (closed.status, closed.closed_by) == ("closed", "operator")
    assert ann.labels(harness.world.last_bot_message(ANN)) == ["1", "2", "3", "4", "5"]
    ann.tap("5", harness.world.last_bot_message(ANN))
    in_blinger = len(desk.blinger.conversation(CLIENT).messages)
    # AND Ann, still on the dialog screen, writes "thanks, found it!"
    prompt = ann.send("Спасибо, нашла!")
    # THEN it is not sent: she is told support closed it, and offered a new question
    assert prompt.text.startswith(
        f"Support has closed conversation {closed.ref}, and your message was not sent."
    )
    assert ann.labels(prompt) == ["💬 New question", "🏠 Main menu"]
    assert ann.send("Hello?").text.startswith("Support has closed conversation")
    desk.run_outbox()
    assert len(desk.blinger.conversation(CLIENT).messages) == in_blinger
    assert conversations.latest(ANN).status == "rated"
    # WHEN she presses "New question" and writes
    ann.tap("💬 New question", prompt if prompt.inline_markup else ann.menu)
    assert ann.send("One more thing").text == "✅ Sent to support. The answer will come to this chat."
    desk.run_outbox()
    # THEN a new conversation carries it to Blinger
    newest = conversations.latest(ANN)
    assert (newest.number, newest.status) == (closed.number + 1, "open")
    assert thread(desk)[-1] == ("in", "One more thing", False)


def test_an_admin_close_asks_the_customer_to_rate_and_tells_blinger(harness, desk, ann, admin_client):
    status, body = admin_client.call("POST", f"/conversations/{conversations.latest(ANN).ref}/close")
    assert status == 200, body
    desk.run_outbox()
    assert harness.world.last_bot_message(ANN).text.startswith("The conversation with support is closed.")
    assert thread(desk)[-1][1].startswith("ℹ️ Диалог C")
    # A text afterwards gets the prompt, as after a close in Blinger
    assert ann.send("ok").text.startswith("Support has closed conversation")


def test_admin_replies_and_ticket_notices_appear_in_blingers_thread_as_outgoing_echoes(
    harness, desk, ann, admin_client
):
    ref = conversations.latest(ANN).ref
    # WHEN an admin replies from the inbox
    assert admin_client.call("POST", f"/conversations/{ref}/reply", {"text": "It ships today"})[0] == 202
    # AND a ticket of hers changes
    ticket = tickets.open_ticket(ANN, "incident", f"ticket:{ANN}:t", "Damaged box", {})
    tickets.move(ticket, "in_progress")
    notify_ticket(get_config(), ticket)
    desk.run_outbox()
    # THEN Ann got both, and Blinger's thread shows both as outgoing echoes
    texts = [m.text for m in harness.world.bot_messages(ANN)[-2:]]
    assert texts == ["💬 Support: It ships today", f"🔔 Your request {ticket.ref} is now: in progress."]
    assert thread(desk)[-2:] == [
        ("out", "💬 Support: It ships today", True),
        ("out", f"🔔 Your request {ticket.ref} is now: in progress.", True),
    ]
    # AND the echoes did not reopen or count as her messages
    assert desk.blinger.conversation(CLIENT).unread == 1


def test_a_customer_message_after_an_answer_reopens_the_answered_conversation(harness, desk, ann):
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "Tomorrow"))[0] == 200
    desk.run_outbox()
    assert (conversations.latest(ANN).status, conversations.latest(ANN).unread) == ("answered", 0)
    ann.send("And the lid?")
    answered_then_open = conversations.latest(ANN)
    assert (answered_then_open.status, answered_then_open.unread, answered_then_open.messages) == (
        "open",
        1,
        3,
    )
    assert answered_then_open.preview == "And the lid?"


def test_ending_a_dialog_already_closed_by_an_operator_just_leaves_it(harness, desk, ann):
    screen = ann.menu
    desk.forward(desk.blinger.close(CLIENT))
    desk.run_outbox()
    ann.tap(END, screen)
    assert harness.world.message(ANN, screen.message_id).text.startswith("Main menu")
    assert conversations.latest(ANN).closed_by == "operator"  # the refused second close changed nothing
    with pytest.raises(RefusedMove):
        close_conversation(get_config(), conversations.latest(ANN), "customer")


def test_a_first_complaint_is_zh_1_after_photo_requests(harness, desk, ann):
    """Bug: one counter numbered photo requests and complaints, so a first complaint was №2."""
    photo = tickets.open_ticket(ANN, "photo", f"ticket:{ANN}:p", "A-17", {})
    complaint = tickets.open_ticket(ANN, "incident", f"ticket:{ANN}:c", "Damaged box", {})
    assert (photo.ref, complaint.ref) == ("Ф-1", "Ж-1")


def test_events_about_another_blinger_conversation_change_nothing(harness, desk, ann):
    # GIVEN Blinger's conversation is linked (an operator took it)
    assert desk.forward(desk.blinger.assign(CLIENT, "Мария"))[0] == 200
    linked = conversations.latest(ANN).desk_ref
    # WHEN a close event names another (older) Blinger conversation of hers
    event = desk.blinger.close(CLIENT)
    event.body["conversation"]["id"] = int(linked) + 100
    status, answer = desk.forward(event)
    # THEN it is acknowledged and ignored: hers stays open
    assert (status, answer["ignored"]) == (200, "on_conversation_closed")
    assert conversations.latest(ANN).live

"""Blinger -> customer: operators' replies and conversation events, as Blinger's stand-in delivers
them, reach the customer through the outbox; refused calls store and send nothing."""

from __future__ import annotations

import json

import pytest

from supportbot.config import get_config
from supportbot.storage.sessions import load_session
from supportbot.support import conversations
from supportbot.support.messages import BLINGER, CUSTOMER, SENT, NewMessage, user_messages
from supportbot.support.outbox import enqueue
from tests.functional.support.conftest import (
    BLINGER_CHANNEL,
    BLINGER_EVENTS_KEY,
    BLINGER_TOKEN,
    customer_asked_support,
)

ANN = 100000001
CLIENT = "tg-100000001"
BEARER = {"Authorization": f"Bearer {BLINGER_TOKEN}"}


@pytest.fixture
def ann(harness, desk):
    # GIVEN Ann, who asked support a question that reached Blinger
    ann = customer_asked_support(harness, desk, "Where is my kettle?")
    assert desk.blinger.conversation(CLIENT) is not None
    return ann


def to_customer() -> list:
    return [m for m in user_messages(ANN) if m.destination == CUSTOMER]


def nothing_stored_or_queued(desk) -> None:
    assert to_customer() == []
    assert desk.queued() == 0


def reply_body(**changes) -> dict:
    body = {"token": BLINGER_TOKEN, "custom_channel_id": BLINGER_CHANNEL, "client_id": CLIENT, "type": "text"}
    return {**body, "data": "Hello", **changes}


def test_operator_text_reaches_the_customer_through_the_outbox(harness, desk, ann):
    # WHEN the operator answers in Blinger (markup-like text included)
    before = len(harness.world.bot_messages(ANN))
    status, answer = desk.forward(desk.blinger.reply(CLIENT, "text", "It ships <today> & arrives Friday"))
    # THEN the webhook accepts it, and it is stored and queued, not sent yet
    assert (status, answer["ok"]) == (200, True)
    assert len(harness.world.bot_messages(ANN)) == before
    # WHEN the outbox delivers
    desk.run_outbox()
    # THEN Ann reads it, marked as support's, exactly as typed
    message = harness.world.last_bot_message(ANN)
    assert message.text == "💬 Support: It ships <today> & arrives Friday"
    assert [m.status for m in to_customer()] == [SENT]


def test_an_operator_reply_reads_the_live_pointer_once(harness, desk, ann, monkeypatch):
    # GIVEN the customer's live pointer reads counted
    reads = []
    real = conversations.live_number
    monkeypatch.setattr(conversations, "live_number", lambda user_id: reads.append(user_id) or real(user_id))
    # WHEN the operator answers her live conversation
    status, _ = desk.forward(desk.blinger.reply(CLIENT, "text", "On it"))
    # THEN the pointer was read once (to find it), not again to store the answer, which moved it
    assert status == 200
    assert reads == [ANN]
    (reply,) = to_customer()
    conversation = conversations.get(ANN, int(reply.conversation))
    assert (conversation.ref, conversation.status, conversation.unread) == ("C1", "answered", 0)


def test_an_answer_to_a_conversation_closed_meanwhile_joins_the_latest(harness, desk, ann, monkeypatch):
    # GIVEN an operator's answer found Ann's live conversation, which closes before it is stored
    real = conversations.live_number

    def closed_after_reading(user_id):
        number = real(user_id)
        if number is not None:
            conversations.close(conversations.get(user_id, number), conversations.BY_CUSTOMER)
        return number

    monkeypatch.setattr(conversations, "live_number", closed_after_reading)
    # WHEN it is stored
    status, _ = desk.forward(desk.blinger.reply(CLIENT, "text", "On it"))
    monkeypatch.setattr(conversations, "live_number", real)
    # THEN it joins that conversation, closed (nothing lost, no new conversation), which stays closed
    assert status == 200
    (reply,) = to_customer()
    assert reply.conversation == 1
    assert [c.status for c in conversations.of_user(ANN)] == ["closed"]


def test_an_operator_reply_speaks_the_customers_language_after_a_message_that_records_none(
    harness, desk, ann
):
    # GIVEN Ann (English) wrote to support, and the newest message stored for her records no
    # language (as incident and warehouse messages do not)
    enqueue(get_config(), NewMessage(ANN, BLINGER, [{"kind": "text", "text": "Incident №7"}]))
    desk.run_outbox()
    # WHEN the operator answers
    assert desk.forward(desk.blinger.reply(CLIENT, "text", "On it"))[0] == 200
    desk.run_outbox()
    # THEN the answer is framed in her language, not the bot's default (Russian)
    assert harness.world.last_bot_message(ANN).text == "💬 Support: On it"


def test_operator_image_and_file_reach_the_customer(harness, desk, ann):
    # WHEN the operator sends a photo and a file from Blinger
    photo_url = desk.blinger.add_file("label.jpg", b"\xff\xd8 label", "image/jpeg")
    file_url = desk.blinger.add_file("invoice.pdf", b"%PDF invoice", "application/pdf")
    assert desk.forward(desk.blinger.reply(CLIENT, "image", photo_url))[0] == 200
    assert desk.forward(desk.blinger.reply(CLIENT, "file", file_url))[0] == 200
    desk.run_outbox()
    # THEN Ann gets a photo and a document (sendPhoto, sendDocument with Blinger's URLs)
    photo, document = harness.world.bot_messages(ANN)[-2:]
    assert photo.photo
    assert photo.caption == "💬 From support"
    assert document.document
    assert document.caption == "💬 From support"
    assert harness.world.calls_to("sendPhoto")[-1].params["photo"] == photo_url
    assert harness.world.calls_to("sendDocument")[-1].params["document"] == file_url


def test_both_paths_and_the_url_key_are_accepted(harness, desk, ann):
    # Without the trailing slash, with the token in the header only
    body = reply_body(data="One")
    del body["token"]
    assert desk.call_webhook(body, BEARER, path="/v1/blinger/webhook")[0] == 200
    # With the URL key instead of the token
    body = reply_body(data="Two")
    del body["token"]
    assert desk.call_webhook(body, query={"key": BLINGER_EVENTS_KEY})[0] == 200
    desk.run_outbox()
    assert [m.text for m in harness.world.bot_messages(ANN)[-2:]] == ["💬 Support: One", "💬 Support: Two"]


def test_a_repeated_webhook_call_delivers_once(harness, desk, ann):
    # WHEN Blinger delivers the same reply twice (it did not see our first answer, say)
    delivery = desk.blinger.reply(CLIENT, "text", "Sorry for the wait")
    assert desk.forward(delivery)[0] == 200
    assert desk.forward(delivery)[0] == 200
    desk.run_outbox()
    desk.forward(delivery)  # and once more after it was delivered
    desk.run_outbox()
    # THEN Ann got it once
    texts = [m.text for m in harness.world.bot_messages(ANN)]
    assert texts.count("💬 Support: Sorry for the wait") == 1
    assert len(to_customer()) == 1


def test_operator_joined_and_conversation_closed_with_a_rating(harness, desk, ann):
    # WHEN an operator takes the conversation
    assert desk.forward(desk.blinger.assign(CLIENT, "Мария"))[0] == 200
    desk.run_outbox()
    # THEN Ann is told who joined
    assert harness.world.last_bot_message(ANN).text == "👩‍💼 Мария from support has joined the conversation."
    # WHEN the operator closes it
    blinger_id = desk.blinger.conversation(CLIENT).id
    assert desk.forward(desk.blinger.close(CLIENT))[0] == 200
    desk.run_outbox()
    # THEN Ann is asked to rate the help, 1 to 5
    request = harness.world.last_bot_message(ANN)
    assert request.text.startswith("The conversation with support is closed.")
    assert ann.labels(request) == ["1", "2", "3", "4", "5"]
    assert request.inline_markup["inline_keyboard"][0][0]["callback_data"] == "-|rate:C1:1"
    session_before = load_session(ANN).version
    # WHEN she taps 4 (on a message sent outside any screen)
    ann.tap("4", request)
    # THEN the rating is stored with the conversation, she is thanked, and the buttons are gone
    stored = conversations.latest(ANN)
    assert (stored.status, stored.rating, stored.assignee) == ("rated", 4, "Мария")
    assert (stored.closed_by, stored.desk_ref) == ("operator", str(blinger_id))
    assert ann.callback_answers[-1] == "Thank you for your rating!"
    edited = harness.world.message(ANN, request.message_id)
    assert edited.text == "The conversation with support is closed. Your rating: 4 of 5. Thank you!"
    assert not edited.inline_markup
    # AND her session was left alone: the dialog's buttons still work...
    assert load_session(ANN).version == session_before
    first, screen = [m for m in harness.world.bot_messages(ANN) if "✖️ End dialog" in ann.labels(m)]
    ann.tap("✖️ End dialog", screen)
    assert harness.world.message(ANN, screen.message_id).text.startswith("Main menu")
    # ...and the stale-button rule still holds for everything else
    ann.tap("✖️ End dialog", first)
    assert ann.callback_answers[-1] == "This menu is outdated. Here is the current one."


def test_a_forged_rating_press_is_refused(harness, desk, ann):
    # GIVEN no conversation 777 was ever closed for Ann
    from tests.functional.harness import press_raw

    # WHEN a modified client sends a rating for it
    harness.deliver(press_raw(ann, "rate:777:5"))
    # THEN nothing is stored and she is told it is not valid
    assert ann.callback_answers[-1] == "This rating request is no longer valid."
    assert conversations.latest(ANN).rating is None


def test_a_rating_button_sent_in_the_old_format_still_rates(harness, desk, ann):
    from tests.functional.harness import press_raw

    # GIVEN a closed conversation whose rating request went out before the one callback format
    conversation_id = desk.blinger.conversation(CLIENT).id
    desk.forward(desk.blinger.close(CLIENT))
    desk.run_outbox()
    request = harness.world.last_bot_message(ANN)
    # WHEN Ann presses 5 on it, data "rate:<conversation>:5"
    harness.deliver(press_raw(ann, f"rate:{conversation_id}:5", request))
    # THEN the conversation Blinger closed (its id kept as desk_ref) is rated, and she is thanked
    assert (conversations.latest(ANN).desk_ref, conversations.latest(ANN).rating) == (str(conversation_id), 5)
    assert ann.callback_answers[-1] == "Thank you for your rating!"


def test_a_repeated_close_event_does_not_wipe_the_rating(harness, desk, ann):
    delivery = desk.blinger.close(CLIENT)
    desk.forward(delivery)
    desk.run_outbox()
    ann.tap("5", harness.world.last_bot_message(ANN))
    desk.forward(delivery)
    desk.run_outbox()
    assert conversations.latest(ANN).rating == 5
    assert len(to_customer()) == 1


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        pytest.param({}, reply_body(token=None), 401, id="no token"),
        pytest.param({}, reply_body(token="guess"), 403, id="wrong body token"),
        pytest.param({"Authorization": "Bearer guess"}, reply_body(token=None), 403, id="wrong header token"),
        pytest.param(BEARER, reply_body(custom_channel_id="other"), 403, id="wrong channel"),
        pytest.param(BEARER, reply_body(custom_channel_id=None), 400, id="no channel"),
    ],
)
def test_messages_without_the_right_token_and_channel_are_refused(harness, desk, ann, headers, body, status):
    body = {k: v for k, v in body.items() if v is not None}
    got, answer = desk.call_webhook(body, headers)
    assert (got, answer["ok"]) == (status, False)
    nothing_stored_or_queued(desk)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        pytest.param({}, 401, id="no key"),
        pytest.param({"key": "guess"}, 403, id="wrong key"),
    ],
)
def test_conversation_events_need_the_url_key(harness, desk, ann, query, status):
    delivery = desk.blinger.assign(CLIENT, "Мария")
    # Even with the app token: events are authenticated by the URL key only
    got, answer = desk.call_webhook(delivery.body, BEARER, query)
    assert (got, answer["ok"]) == (status, False)
    nothing_stored_or_queued(desk)


def test_nothing_is_accepted_when_blinger_is_not_configured(harness, desk, ann, monkeypatch):
    # GIVEN a deployment where the Blinger token and key were never set
    monkeypatch.delenv("BLINGER_TOKEN")
    monkeypatch.delenv("BLINGER_WEBHOOK_SECRET")
    get_config.cache_clear()
    # THEN even a caller presenting some token or key is refused
    assert desk.call_webhook(reply_body(), BEARER)[0] == 403
    assert desk.call_webhook(reply_body(), query={"key": ""})[0] == 401
    assert desk.call_webhook(reply_body(), query={"key": "anything"})[0] == 403
    nothing_stored_or_queued(desk)


@pytest.mark.parametrize("client_id", ["tg-999999", "someone-else", 42])
def test_unknown_client_is_404_and_nothing_is_stored(harness, desk, ann, client_id):
    status, answer = desk.call_webhook(reply_body(client_id=client_id), BEARER)
    assert status == 404
    assert answer == {"ok": False, "error": f"unknown client_id {str(client_id)!r}"}
    assert desk.queued() == 0
    assert user_messages(999999) == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param("{not json", "body is not JSON", id="not json"),
        pytest.param("[1, 2]", "body must be a JSON object", id="not an object"),
        pytest.param(reply_body(type=None), "type must be one of text, image, file", id="no type"),
        pytest.param(reply_body(type="video"), "type must be one of text, image, file", id="bad type"),
        pytest.param(reply_body(data=7), "data must be a non-empty string", id="data not a string"),
        pytest.param(reply_body(data="  "), "data must be a non-empty string", id="empty data"),
        pytest.param(
            reply_body(type="image", data="file.jpg"),
            "data of a image must be an http(s) URL",
            id="image not a URL",
        ),
        pytest.param(reply_body(client_id=True), "client_id must be a non-empty string", id="client_id bool"),
        pytest.param(reply_body(client_id=None), "client_id must be a non-empty string", id="no client_id"),
        pytest.param(
            {"webhook": "on_conversation_closed", "conversation": {"id": "x"}},
            "conversation needs an integer id and a from_user object",
            id="event without from_user",
        ),
    ],
)
def test_malformed_bodies_are_400_and_nothing_is_stored(harness, desk, ann, body, error):
    if isinstance(body, dict):
        body = json.dumps({k: v for k, v in body.items() if v is not None})
    query = {"key": BLINGER_EVENTS_KEY} if "webhook" in body else None
    status, answer = desk.call_webhook(body, BEARER, query)
    assert (status, answer) == (400, {"ok": False, "error": error})
    nothing_stored_or_queued(desk)


def test_oversized_body_is_413_and_nothing_is_stored(harness, desk, ann):
    status, answer = desk.call_webhook(reply_body(data="x" * (256 * 1024)), BEARER)
    assert status == 413
    assert answer["ok"] is False
    nothing_stored_or_queued(desk)


def test_other_conversation_events_are_acknowledged_and_ignored(harness, desk, ann):
    status, answer = desk.forward(desk.blinger.unassign(CLIENT))
    assert (status, answer) == (200, {"ok": True, "ignored": "on_conversation_unassigned"})
    assert desk.queued() == 0


def test_a_double_tap_on_a_rating_is_thanked_once_more_without_an_error(harness, desk, ann):
    from tests.functional.harness import press_raw

    desk.forward(desk.blinger.close(CLIENT))
    desk.run_outbox()
    request = harness.world.last_bot_message(ANN)
    data = request.inline_markup["inline_keyboard"][0][2]["callback_data"]
    ann.tap("3", request)
    # WHEN the same press arrives again (the message already shows the rating)
    harness.deliver(press_raw(ann, data, request))
    # THEN she is thanked again, with no apology, and the rating is unchanged
    assert ann.callback_answers[-2:] == ["Thank you for your rating!"] * 2
    assert "Sorry" not in harness.world.last_bot_message(ANN).text
    assert conversations.latest(ANN).rating == 3

"""Every refusal kind of the stand-in, over real HTTP, as pyTelegramBotAPI and plain HTTP see it."""

from __future__ import annotations

import json

import pytest
import requests
import telebot
from telebot.apihelper import ApiTelegramException
from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from infra.botapi import BotApiServer, World

from .conftest import TOKEN, USER_ID


def _refusal(fn, *args, **kwargs) -> ApiTelegramException:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiTelegramException) as info:
        fn(*args, **kwargs)
    return info.value


def _keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    markup = InlineKeyboardMarkup()
    markup.add(*buttons)
    return markup


def test_unknown_method_is_404(call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN the stand-in WHEN a method that does not exist is called
    status, body = call("sendTelepathy", chat_id=USER_ID)
    # THEN Telegram's 404 answer comes back
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


def test_wrong_token_is_401(call, world: World) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a token that is not the bot's WHEN any method is called
    status, body = call("getMe", token="999:WRONG")
    # THEN 401 Unauthorized, and nothing happened to the world
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    assert world.bot_messages(USER_ID) == []


def test_method_names_match_case_insensitively_like_telegram(call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN / WHEN a method name in other case THEN it works (Telegram ignores the case)
    assert call("getme")[1]["ok"] is True


def test_missing_required_parameter(bot: telebot.TeleBot, call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a call without its required parameters WHEN sent THEN Telegram's texts come back
    assert call("sendMessage", text="hi") == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"},
    )
    assert call("sendMessage", chat_id=USER_ID)[1]["description"] == "Bad Request: message text is empty"
    assert call("getFile")[1]["description"] == "Bad Request: file_id is required"
    # AND through pyTelegramBotAPI an empty text is refused the same way
    assert _refusal(bot.send_message, USER_ID, "").description == "Bad Request: message text is empty"


def test_wrong_scalar_type(call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a non-integer message_id / a non-boolean flag WHEN sent THEN 400 naming the parameter
    status, body = call("deleteMessage", chat_id=USER_ID, message_id="first")
    assert status == 400
    assert body["description"] == 'Bad Request: parameter "message_id" must be of type Integer'
    status, body = call("sendMessage", chat_id=USER_ID, text="x", disable_notification="maybe")
    assert body["description"] == 'Bad Request: parameter "disable_notification" must be of type Boolean'


def test_callback_data_of_65_bytes_is_refused_64_accepted(bot: telebot.TeleBot) -> None:
    # GIVEN a button whose callback_data is 65 bytes of UTF-8 (33 two-byte letters) WHEN sent
    too_long = _keyboard(InlineKeyboardButton("Go", callback_data="я" * 32 + "x"))
    e = _refusal(bot.send_message, USER_ID, "menu", reply_markup=too_long)
    # THEN Telegram's BUTTON_DATA_INVALID
    assert (e.error_code, e.description) == (400, "Bad Request: BUTTON_DATA_INVALID")
    # AND exactly 64 bytes passes
    assert bot.send_message(
        USER_ID, "menu", reply_markup=_keyboard(InlineKeyboardButton("Go", callback_data="я" * 32))
    )


def test_inline_button_needs_exactly_one_action(bot: telebot.TeleBot) -> None:
    # GIVEN a button with two actions, and one with none
    two = _keyboard(InlineKeyboardButton("Go", url="https://example.com", callback_data="go"))
    none = _keyboard(InlineKeyboardButton("Go"))
    # WHEN sent THEN both are refused
    assert (
        "can't parse inline keyboard button: only one of the fields"
        in _refusal(bot.send_message, USER_ID, "m", reply_markup=two).description
    )
    assert _refusal(bot.send_message, USER_ID, "m", reply_markup=none).description == (
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    )


def test_keyboard_must_be_an_array_of_arrays(call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN an inline keyboard that is a flat list of buttons WHEN sent
    markup = json.dumps({"inline_keyboard": [{"text": "a", "callback_data": "a"}]})
    status, body = call("sendMessage", chat_id=USER_ID, text="m", reply_markup=markup)
    # THEN Telegram's wording
    assert (status, body["description"]) == (
        400,
        'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays',
    )
    # AND a button field of the wrong type is named
    markup = json.dumps({"inline_keyboard": [[{"text": 5, "callback_data": "a"}]]})
    assert call("sendMessage", chat_id=USER_ID, text="m", reply_markup=markup)[1]["description"] == (
        'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String'
    )
    # AND markup that is not JSON at all
    assert call("sendMessage", chat_id=USER_ID, text="m", reply_markup="{oops")[1]["description"] == (
        "Bad Request: can't parse reply_markup JSON object"
    )


def test_union_resolution_of_reply_markup_and_chat_id(call, world: World) -> None:  # type: ignore[no-untyped-def]
    # GIVEN each member of the reply_markup union WHEN sent THEN each is recognised and accepted
    for markup in (
        {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
        {
            "keyboard": [["plain"], [{"text": "Share phone", "request_contact": True}]],
            "resize_keyboard": True,
        },
        {"remove_keyboard": True},
        {"force_reply": True, "input_field_placeholder": "Your answer"},
    ):
        status, body = call("sendMessage", chat_id=USER_ID, text="m", reply_markup=json.dumps(markup))
        assert status == 200, body
    # AND a member whose required field has the wrong type is reported against that member
    status, body = call(
        "sendMessage", chat_id=USER_ID, text="m", reply_markup=json.dumps({"remove_keyboard": "yes"})
    )
    assert (
        body["description"]
        == 'Bad Request: can\'t parse reply keyboard remove: Field "remove_keyboard" must be of type Boolean'
    )
    # AND chat_id "Integer or String": an unknown @username is a String, hence "chat not found"
    assert call("sendMessage", chat_id="@nobody", text="m")[1]["description"] == "Bad Request: chat not found"


def test_text_length_4096_ok_4097_too_long(bot: telebot.TeleBot) -> None:
    # GIVEN texts of 4096 and 4097 characters WHEN sent
    assert bot.send_message(USER_ID, "a" * 4096).text == "a" * 4096
    e = _refusal(bot.send_message, USER_ID, "a" * 4097)
    # THEN the longer one is refused in Telegram's words
    assert (e.error_code, e.description) == (400, "Bad Request: message is too long")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<blink>x</blink>", 'Unsupported start tag "blink" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x<i>y</b></i>", 'Unmatched end tag at byte offset 8, expected "</i>", found "</b>"'),
        ("Q&A", 'Unescaped "&" (write &amp;) at byte offset 1'),
        ("</b>", "Unexpected end tag at byte offset 0"),
    ],
)
def test_html_entity_errors(bot: telebot.TeleBot, text: str, reason: str) -> None:
    # GIVEN broken HTML WHEN sent with parse_mode HTML THEN "can't parse entities" with the reason
    e = _refusal(bot.send_message, USER_ID, text, parse_mode="HTML")
    assert e.description == f"Bad Request: can't parse entities: {reason}"


def test_html_length_counts_visible_text_only(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN 4096 visible characters wrapped in tags (raw text far over 4096) WHEN sent as HTML
    text = "<b>" + "a" * 2000 + "</b><i>" + "&lt;" * 2096 + "</i>"
    sent = bot.send_message(USER_ID, text, parse_mode="HTML")
    # THEN it is accepted; the world keeps both the raw and the visible text
    assert len(text) > 4096
    assert sent.text == "a" * 2000 + "<" * 2096
    assert world.last_bot_message(USER_ID).raw_text == text
    # AND one more visible character is too long
    e = _refusal(bot.send_message, USER_ID, text + "b", parse_mode="HTML")
    assert e.description == "Bad Request: message is too long"


def test_caption_too_long(bot: telebot.TeleBot) -> None:
    # GIVEN a photo with a 1025-character caption WHEN sent THEN refused; 1024 is fine
    e = _refusal(bot.send_photo, USER_ID, b"\x89PNG-bytes", caption="c" * 1025)
    assert e.description == "Bad Request: message caption is too long"
    assert bot.send_photo(USER_ID, b"\x89PNG-bytes", caption="c" * 1024).caption == "c" * 1024


def test_message_not_modified(bot: telebot.TeleBot) -> None:
    # GIVEN a message with a keyboard
    kb = _keyboard(InlineKeyboardButton("Refresh", callback_data="refresh"))
    sent = bot.send_message(USER_ID, "Status: <b>ok</b>", parse_mode="HTML", reply_markup=kb)
    # WHEN it is edited to exactly the same content and markup
    e = _refusal(
        bot.edit_message_text,
        "Status: <b>ok</b>",
        USER_ID,
        sent.message_id,
        parse_mode="HTML",
        reply_markup=kb,
    )
    # THEN Telegram's "message is not modified"
    assert e.description.startswith("Bad Request: message is not modified: specified new message content")
    # AND the same text without the keyboard is a modification (the keyboard goes away)
    edited = bot.edit_message_text("Status: <b>ok</b>", USER_ID, sent.message_id, parse_mode="HTML")
    assert edited.reply_markup is None


def test_message_to_edit_not_found_and_not_editable(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN no message 77, and a message the user (not the bot) sent
    user_message = world.user_sends_text(USER_ID, "hello")["message"]["message_id"]
    # WHEN the bot edits them THEN Telegram's refusals
    assert (
        _refusal(bot.edit_message_text, "x", USER_ID, 77).description
        == "Bad Request: message to edit not found"
    )
    assert (
        _refusal(bot.edit_message_text, "x", USER_ID, user_message).description
        == "Bad Request: message can't be edited"
    )
    assert _refusal(bot.delete_message, USER_ID, 77).description == "Bad Request: message to delete not found"


def test_chat_not_found(bot: telebot.TeleBot) -> None:
    # GIVEN a chat id nobody has WHEN the bot writes there THEN "chat not found"
    e = _refusal(bot.send_message, 55555, "hi")
    assert (e.error_code, e.description) == (400, "Bad Request: chat not found")


def test_reply_to_missing_message(bot: telebot.TeleBot) -> None:
    # GIVEN reply parameters pointing to a message that does not exist WHEN sent THEN refused
    e = _refusal(bot.send_message, USER_ID, "hi", reply_to_message_id=999)
    assert e.description == "Bad Request: message to be replied not found"


def test_callback_query_too_old_or_unknown(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN a pressed button, answered once
    sent = bot.send_message(
        USER_ID, "m", reply_markup=_keyboard(InlineKeyboardButton("A", callback_data="a"))
    )
    query = world.user_presses(USER_ID, sent.message_id, "a")["callback_query"]["id"]
    assert bot.answer_callback_query(query, "ok") is True
    # WHEN it is answered again, or an unknown id is answered
    again = _refusal(bot.answer_callback_query, query)
    unknown = _refusal(bot.answer_callback_query, "123")
    # THEN both are "query is too old"
    for e in (again, unknown):
        assert (
            e.description
            == "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )


def test_callback_query_expires(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN a press, then the clock moves past the answer window
    sent = bot.send_message(
        USER_ID, "m", reply_markup=_keyboard(InlineKeyboardButton("A", callback_data="a"))
    )
    query = world.user_presses(USER_ID, sent.message_id, "a")["callback_query"]["id"]
    world.callback_queries[query].date -= world.callback_timeout + 1
    # WHEN answered THEN too old
    assert "query is too old" in _refusal(bot.answer_callback_query, query).description


def test_blocked_user_is_403_until_they_write_again(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN the user blocked the bot
    world.block(USER_ID)
    # WHEN the bot writes THEN 403
    e = _refusal(bot.send_message, USER_ID, "hi")
    assert (e.error_code, e.description) == (403, "Forbidden: bot was blocked by the user")
    # AND after the user writes again it works
    world.user_sends_text(USER_ID, "/start")
    assert bot.send_message(USER_ID, "hi").text == "hi"


def test_injected_429_has_retry_after(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN a rate limit injected for the next sendMessage
    world.fail_next("sendMessage", error_code=429, retry_after=7)
    # WHEN the bot sends THEN pyTelegramBotAPI raises with the 429 and retry_after
    e = _refusal(bot.send_message, USER_ID, "hi")
    assert e.error_code == 429
    assert e.description == "Too Many Requests: retry after 7"
    assert e.result_json["parameters"] == {"retry_after": 7}
    # AND only once: the next call passes, and both calls are in the log
    assert bot.send_message(USER_ID, "hi").text == "hi"
    assert [c.status for c in world.calls_to("sendMessage")] == [429, 200]


def test_injected_server_errors(server: BotApiServer, world: World, bot: telebot.TeleBot) -> None:
    # GIVEN a 500 in Telegram's JSON shape and a proxy's 502 HTML page
    world.fail_next("getMe", error_code=500)
    world.fail_next_http("*", status=502)
    # WHEN called THEN the bot sees each failure
    assert _refusal(bot.get_me).error_code == 500
    r = requests.get(f"{server.base_url}/bot{TOKEN}/getMe", timeout=5)
    assert (r.status_code, r.headers["Content-Type"]) == (502, "text/html")
    assert bot.get_me().username == world.bot.username


def test_unsupported_method_is_loud_but_true_methods_pass(call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a spec method the stand-in does not simulate WHEN it returns more than True THEN a clear 400
    status, body = call("getStarTransactions")
    assert (status, body["description"]) == (400, "Bad Request: method not supported by the local stand-in")
    # AND a validated method whose result is just True is answered true
    assert call("setMyDescription", description="Support bot") == (200, {"ok": True, "result": True})


def test_get_updates_conflicts_with_webhook(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN a webhook WHEN getUpdates is called THEN 409 Conflict
    world.long_poll_cap = 0.05  # pyTelegramBotAPI always asks for a long poll
    assert bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    e = _refusal(bot.get_updates)
    assert (e.error_code, e.description) == (
        409,
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first",
    )
    assert bot.get_webhook_info().url == "http://127.0.0.1:9/hook"
    bot.delete_webhook()
    assert bot.get_updates() == []


def test_bad_webhook_secret(call) -> None:  # type: ignore[no-untyped-def]
    # GIVEN a secret token with characters Telegram does not allow WHEN set THEN refused
    assert call("setWebhook", url="http://127.0.0.1/h", secret_token="no spaces")[1]["description"] == (
        "Bad Request: secret token contains unallowed characters"
    )

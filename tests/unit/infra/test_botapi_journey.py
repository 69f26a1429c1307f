"""A support-bot journey through the stand-in: real pyTelegramBotAPI handlers, real HTTP."""

from __future__ import annotations

import pytest
import requests
import telebot
from telebot.apihelper import ApiTelegramException
from telebot.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from infra.botapi import BotApiServer, World, check_object

from .conftest import TOKEN, USER_ID

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"\r\n\x00rest-of-image" * 10


def test_menu_press_answer_and_edit(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN a bot that shows a menu on /start and edits it when a button is pressed
    @bot.message_handler(commands=["start"])
    def start(message: telebot.types.Message) -> None:
        kb = InlineKeyboardMarkup()
        kb.row(
            InlineKeyboardButton("Orders", callback_data="m:orders"),
            InlineKeyboardButton("FAQ", callback_data="m:faq"),
        )
        bot.send_message(message.chat.id, "<b>Menu</b>", parse_mode="HTML", reply_markup=kb)

    @bot.callback_query_handler(func=lambda q: True)
    def pressed(query: telebot.types.CallbackQuery) -> None:
        bot.answer_callback_query(query.id, "Loading…")
        bot.edit_message_text("Your orders: none", query.message.chat.id, query.message.message_id)

    # WHEN the user sends /start
    start_update = world.user_sends_text(USER_ID, "/start")
    check_object("Update", start_update)
    bot.process_new_updates([Update.de_json(start_update)])
    # THEN the menu is there, with its buttons
    menu = world.last_bot_message(USER_ID)
    assert (menu.text, menu.raw_text, menu.entities) == (
        "Menu",
        "<b>Menu</b>",
        [{"type": "bold", "offset": 0, "length": 4}],
    )
    assert world.buttons(menu) == [["Orders", "FAQ"]]

    # WHEN the user presses "Orders"
    update = world.user_presses(USER_ID, menu.message_id, "m:orders")
    # THEN the callback update has Telegram's shape
    check_object("Update", update)
    q = update["callback_query"]
    assert set(q) == {"id", "from", "message", "chat_instance", "data"}
    assert q["data"] == "m:orders"
    assert q["from"] == {
        "id": USER_ID,
        "is_bot": False,
        "first_name": "Ann",
        "last_name": "Lee",
        "username": "ann",
        "language_code": "ru",
    }
    assert q["message"]["message_id"] == menu.message_id
    assert q["message"]["from"]["is_bot"] is True
    assert q["message"]["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Orders",
        "callback_data": "m:orders",
    }
    bot.process_new_updates([Update.de_json(update)])

    # THEN the query was answered and the menu edited in place (keyboard gone)
    assert world.callback_answers == [{"callback_query_id": q["id"], "text": "Loading…"}]
    edited = world.message(USER_ID, menu.message_id)
    assert (edited.text, edited.reply_markup, edited.edit_date is not None) == (
        "Your orders: none",
        None,
        True,
    )
    assert [c.method for c in world.calls] == ["sendMessage", "answerCallbackQuery", "editMessageText"]
    assert all(c.status == 200 for c in world.calls)


def test_login_by_contact_with_reply_keyboard(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN the bot asks for the phone with a request_contact reply keyboard
    kb = ReplyKeyboardMarkup(resize_keyboard=True, one_time_keyboard=True)
    kb.add(KeyboardButton("Share my phone", request_contact=True))
    kb.add("Cancel")
    sent = bot.send_message(USER_ID, "Please share your phone", reply_markup=kb)
    # THEN Telegram does not echo reply keyboards in Message.reply_markup, but the chat shows it
    assert sent.reply_markup is None
    assert world.buttons(world.last_bot_message(USER_ID)) == [["Share my phone"], ["Cancel"]]
    assert world.chats[USER_ID].reply_keyboard is not None

    # WHEN the user shares their own contact
    update = world.user_sends_contact(USER_ID, "79991234567")
    # THEN the contact carries their own user_id
    check_object("Update", update)
    contact = update["message"]["contact"]
    assert contact == {
        "phone_number": "79991234567",
        "first_name": "Ann",
        "last_name": "Lee",
        "user_id": USER_ID,
    }
    assert contact["user_id"] == update["message"]["from"]["id"]
    # AND someone else's contact, or one without a user, looks different
    other = world.user_sends_contact(USER_ID, "70000000000", contact_user_id=555, first_name="Bob")[
        "message"
    ]["contact"]
    assert other == {"phone_number": "70000000000", "first_name": "Bob", "user_id": 555}
    assert (
        "user_id"
        not in world.user_sends_contact(USER_ID, "7111", contact_user_id=None, first_name="X")["message"][
            "contact"
        ]
    )

    # WHEN the bot removes the keyboard THEN accepted and the chat no longer shows one
    bot.send_message(USER_ID, "Thanks!", reply_markup=ReplyKeyboardRemove())
    assert world.chats[USER_ID].reply_keyboard is None


def test_upload_get_file_download(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN the bot uploads a photo and a document
    photo = bot.send_photo(USER_ID, PNG, caption="Your parcel")
    doc = bot.send_document(USER_ID, ("invoice.pdf", b"%PDF-1.4 bytes"), caption="Invoice")
    # WHEN it asks for the files and downloads them
    for file_id, data in ((photo.photo[-1].file_id, PNG), (doc.document.file_id, b"%PDF-1.4 bytes")):
        info = bot.get_file(file_id)
        # THEN the bytes come back unchanged
        assert bot.download_file(info.file_path) == data
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    assert doc.document.file_name == "invoice.pdf"
    # AND an existing file_id can be sent again, but not as another kind of file
    assert bot.send_photo(USER_ID, photo.photo[-1].file_id).photo[-1].file_id == photo.photo[-1].file_id
    with pytest.raises(ApiTelegramException) as refused:
        bot.send_document(USER_ID, photo.photo[-1].file_id)
    assert refused.value.description == "Bad Request: can't use file of type Photo as Document"


def test_user_photo_reaches_the_bot_as_a_downloadable_file(
    bot: telebot.TeleBot, world: World, server: BotApiServer
) -> None:
    # GIVEN the user sends a photo with a caption
    update = world.user_sends_photo(USER_ID, PNG, caption="broken box")
    check_object("Update", update)
    message = update["message"]
    assert message["caption"] == "broken box"
    # WHEN the bot fetches it THEN the same bytes; a wrong token cannot download it
    path = bot.get_file(message["photo"][-1]["file_id"]).file_path
    assert bot.download_file(path) == PNG
    assert requests.get(f"{server.base_url}/file/bot1:WRONG/{path}", timeout=5).status_code == 404


def test_media_group(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN two photos uploaded as an album WHEN sent THEN two messages share a media_group_id
    sent = bot.send_media_group(USER_ID, [InputMediaPhoto(PNG, caption="front"), InputMediaPhoto(PNG + b"2")])
    assert len(sent) == 2
    assert sent[0].media_group_id == sent[1].media_group_id is not None
    assert [m.caption for m in sent] == ["front", None]
    assert [m.message_id for m in world.bot_messages(USER_ID)] == [1, 2]


def test_get_updates_delivers_and_confirms(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN two user messages pending
    first = world.user_sends_text(USER_ID, "hello")
    second = world.user_sends_text(USER_ID, "again")
    # WHEN the bot polls THEN it gets both, in order, with growing update_ids
    got = bot.get_updates(timeout=1, long_polling_timeout=1)
    assert [u.update_id for u in got] == [first["update_id"], second["update_id"]]
    assert second["update_id"] == first["update_id"] + 1
    # AND confirming with offset removes them
    world.long_poll_cap = 0.05
    assert bot.get_updates(offset=second["update_id"] + 1) == []
    assert world.pending == []


def test_get_me_get_chat_commands_and_actions(bot: telebot.TeleBot, world: World) -> None:
    # GIVEN / WHEN the bot's housekeeping calls THEN sensible, spec-valid answers
    me = bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "test_support_bot")
    assert bot.get_chat(USER_ID).first_name == "Ann"
    assert bot.set_my_commands([telebot.types.BotCommand("start", "Main menu")])
    assert [c.command for c in bot.get_my_commands()] == ["start"]
    assert bot.send_chat_action(USER_ID, "typing")
    assert TOKEN.startswith(str(me.id))

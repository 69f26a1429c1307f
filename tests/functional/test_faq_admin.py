"""Admins edit the FAQ in DynamoDB; the bot shows the change within its cache time (10 s), with no
deploy, and a user standing on a node that was removed is told the menu is outdated."""

from __future__ import annotations

import pytest

from infra.demo import CUSTOMER_PHONE
from supportbot.content import CACHE_SECONDS, ContentItem, get_content_store

OUTDATED = "This menu is outdated. Here is the current one."
MENU = [
    "📦 My orders",
    "❓ FAQ",
    "💬 Ask a question",
    "📷 Product photo",
    "⚠️ Complaint",
    "🔔 Notifications",
    "🚪 Log out",
    "🗑 Delete my data",
]
NAV = ["⬅️ Back", "🏠 Main menu"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(harness):
    clock = Clock()
    get_content_store().clock = clock  # the store the bot's processor uses (built on first update)
    return clock


def untranslated() -> None:
    """A shop that wrote its FAQ in Russian only: English users see the Russian (the fallback)."""
    for item in ContentItem.query("faq"):
        item.translations = None
        item.save()


@pytest.fixture
def ann(harness, clock):
    # GIVEN a FAQ in one language, and Ann, logged in, looking at its topics in English
    untranslated()
    ann = harness.user(100000001, language="en", first_name="Ann")
    ann.send("/start")
    ann.share_contact(CUSTOMER_PHONE)
    faq = ann.tap("❓ FAQ")
    assert ann.labels(faq) == ["Доставка", "Оплата", "Возврат", *NAV]
    return ann


def edit(node_id: str, **changes: object) -> None:
    """What the admin endpoint does to one FAQ item."""
    item = ContentItem.get("faq", node_id)
    for name, value in changes.items():
        setattr(item, name, value)
    item.save()


def reopen_faq(ann):
    ann.tap("🏠 Main menu")
    return ann.tap("❓ FAQ")


def test_a_reorder_shows_within_the_cache_time(ann, clock):
    # WHEN an admin moves "Возврат" to the top
    edit("ret", position=0)
    # THEN within the cache time the old order may still show
    clock.now += CACHE_SECONDS - 0.1
    assert ann.labels(reopen_faq(ann)) == ["Доставка", "Оплата", "Возврат", *NAV]
    # AND once it has passed, the new order shows
    clock.now += 0.1
    assert ann.labels(reopen_faq(ann)) == ["Возврат", "Доставка", "Оплата", *NAV]


def test_added_and_renamed_items_and_a_changed_answer_show(ann, clock):
    # WHEN an admin adds a topic, renames one and changes an answer
    ContentItem("faq", "wty", path="/", position=4, title="Гарантия", text="Год на всё.").save()
    edit("pay", title="Оплата и чеки")
    edit("dlv1", text="Теперь <i>1–3 дня</i>.")
    clock.now += CACHE_SECONDS
    # THEN the topics show the new one and the new title
    faq = reopen_faq(ann)
    assert ann.labels(faq) == ["Доставка", "Оплата и чеки", "Возврат", "Гарантия", *NAV]
    # AND the new topic (a leaf) shows its answer
    answer = ann.tap("Гарантия")
    assert answer.text == "Гарантия\n\nГод на всё."
    # AND the changed answer shows, with its formatting
    ann.tap("⬅️ Back")
    ann.tap("Доставка")
    answer = ann.tap("Сколько идёт доставка?")
    assert answer.text == "Сколько идёт доставка?\n\nТеперь 1–3 дня."
    assert any(entity["type"] == "italic" for entity in answer.entities)


def test_the_node_a_user_stands_on_is_deleted(harness, ann, clock):
    # GIVEN Ann reading an answer
    ann.tap("Доставка")
    ann.tap("Сколько идёт доставка?")
    # WHEN an admin deletes that question, and the cache time passes
    ContentItem.get("faq", "dlv1").delete()
    clock.now += CACHE_SECONDS
    answers = len(ann.callback_answers)
    # AND she presses Back on it
    screen = ann.tap("⬅️ Back")
    # THEN she is told the menu is outdated and gets the main menu, without an error
    assert ann.callback_answers[answers:] == [OUTDATED]
    assert ann.labels(screen) == MENU
    assert [call for call in harness.world.calls if call.status != 200] == []
    # AND the FAQ works, without the deleted question
    ann.tap("❓ FAQ")
    assert ann.labels(ann.tap("Доставка")) == ["Можно ли изменить адрес?", "⬅️ Back", "🏠 Main menu"]


def test_the_category_above_the_user_is_deleted(ann, clock):
    # GIVEN Ann reading an answer in "Оплата"
    ann.tap("Оплата")
    ann.tap("Какие способы оплаты есть?")
    # WHEN an admin deletes the whole category (its questions are orphaned) and the cache expires
    ContentItem.get("faq", "pay").delete()
    clock.now += CACHE_SECONDS
    answers = len(ann.callback_answers)
    # AND she presses Back
    screen = ann.tap("⬅️ Back")
    # THEN the menu is outdated, and she is at the main menu
    assert ann.callback_answers[answers:] == [OUTDATED]
    assert ann.labels(screen) == MENU


def test_a_question_deleted_while_its_button_is_shown(ann, clock):
    # GIVEN Ann looking at the questions of "Доставка"
    ann.tap("Доставка")
    # WHEN an admin deletes one of them and the cache expires
    ContentItem.get("faq", "dlv2").delete()
    clock.now += CACHE_SECONDS
    answers = len(ann.callback_answers)
    # AND she presses its button
    screen = ann.tap("Можно ли изменить адрес?")
    # THEN she is told the menu is outdated, and sees the category as it is now
    assert ann.callback_answers[answers:] == [OUTDATED]
    assert ann.labels(screen) == ["Сколько идёт доставка?", "⬅️ Back", "🏠 Main menu"]


def test_a_long_category_is_paginated_and_back_returns_to_its_page(ann, clock):
    # GIVEN an admin filled "Оплата" with 20 questions
    with ContentItem.batch_write() as batch:
        for n in range(3, 21):
            batch.save(
                ContentItem(
                    "faq", f"pay{n}", path="/pay/", position=n, title=f"Вопрос {n}", text=f"Ответ {n}."
                )
            )
    clock.now += CACHE_SECONDS
    # WHEN Ann opens the category
    category = ann.tap("Оплата")
    # THEN 8 questions are shown with a pager
    labels = ann.labels(category)
    assert labels[:8] == [
        "Какие способы оплаты есть?",
        "Когда списываются деньги?",
        *[f"Вопрос {n}" for n in range(3, 9)],
    ]
    assert labels[8:13] == ["⏮", "◀️", "1 / 3", "▶️", "⏭"]
    # WHEN she goes to the last page and opens a question there
    last = ann.tap("⏭")
    assert ann.labels(last)[:4] == ["Вопрос 17", "Вопрос 18", "Вопрос 19", "Вопрос 20"]
    assert ann.tap("Вопрос 19").text == "Вопрос 19\n\nОтвет 19."
    # AND goes Back
    back = ann.tap("⬅️ Back")
    # THEN she is on the last page again
    assert "3 / 3" in ann.labels(back)
    assert ann.labels(back)[:4] == ["Вопрос 17", "Вопрос 18", "Вопрос 19", "Вопрос 20"]


def test_an_english_title_added_by_an_admin_shows_to_english_users_and_falls_back_per_field(
    harness, ann, clock
):
    # WHEN an admin gives "Доставка" an English title, and its question an English answer only
    edit("dlv", translations={"en": {"title": "Delivery"}})
    edit("dlv1", translations={"en": {"text": "Usually <b>2–5 days</b>."}})
    clock.now += CACHE_SECONDS
    # THEN Ann sees the English title, the others in Russian
    assert ann.labels(reopen_faq(ann)) == ["Delivery", "Оплата", "Возврат", *NAV]
    assert ann.tap("Delivery").text == "Delivery\n\nChoose a question."
    # AND the question keeps its Russian title over the English answer
    assert ann.tap("Сколько идёт доставка?").text == "Сколько идёт доставка?\n\nUsually 2–5 days."
    # AND a Russian user sees the Russian content
    vera = harness.user(100000009, language="ru", first_name="Вера")
    vera.send("/start")
    vera.share_contact(CUSTOMER_PHONE)
    assert vera.labels(vera.tap("❓ Частые вопросы"))[:3] == ["Доставка", "Оплата", "Возврат"]

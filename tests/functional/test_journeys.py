"""The whole journey, for both user types and both languages, read like a conversation.

start -> share contact -> Orders -> last page -> open an order -> Back (same page) -> Refresh
(nothing changed) -> Main menu -> FAQ -> category -> answer -> Up -> Back -> Main menu -> Log out.
Every step asserts what the user sees: texts, keyboards and the toasts of button presses.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from infra.demo import CUSTOMER_ORDERS, CUSTOMER_PHONE, PARTNER_ORDERS, PARTNER_PHONE


@dataclass(frozen=True)
class Words:
    """What a user of one type, in one language, reads on the screens of the journey."""

    login_prompt: str
    greeting: str
    welcome: str
    menu_labels: list[str]
    orders_button: str
    list_title: str
    page_of: str
    line_word: str  # what each line of the list says about money (status or payout)
    amount_label: str
    counterparty_label: str
    not_counterparty_label: str
    refresh: str
    ask_support: str
    back_to_list: str
    home: str
    unchanged: str
    faq_button: str
    faq_title: str
    category: str
    category_title: str
    topics: tuple[str, ...]
    questions: tuple[str, ...]
    question: str
    answer_part: str
    up: str
    back: str
    logout: str
    logged_out: str
    share_button: str
    guest_button: str
    photo_request: tuple[str, ...] = ()  # customers only: partners sell their own stock


RU = dict(
    login_prompt="Чтобы видеть свои заказы",
    greeting="Здравствуйте! Это бот поддержки нашего магазина.",
    refresh="🔄 Обновить",
    ask_support="💬 Написать в поддержку по заказу",
    back_to_list="⬅️ К списку",
    home="🏠 Главное меню",
    unchanged="Ничего не изменилось.",
    faq_button="❓ Частые вопросы",
    faq_title="Частые вопросы\n\nВыберите тему.",
    category="Доставка",
    category_title="Доставка\n\nВыберите вопрос.",
    topics=("Доставка", "Оплата", "Возврат"),
    questions=("Сколько идёт доставка?", "Можно ли изменить адрес?"),
    question="Сколько идёт доставка?",
    answer_part="Обычно 2–5 дней по России.",
    up="⬆️ Наверх",
    back="⬅️ Назад",
    logout="🚪 Выйти",
    logged_out="Вы вышли. Чтобы войти снова, поделитесь номером телефона.",
    share_button="📱 Поделиться номером телефона",
    guest_button="💬 Написать в поддержку",
    page_of="Страница {page} из {pages}.",
)
EN = dict(
    login_prompt="To see your orders",
    greeting="Hello! This is the support bot of our shop.",
    refresh="🔄 Refresh",
    ask_support="💬 Contact support about this order",
    back_to_list="⬅️ Back to the list",
    home="🏠 Main menu",
    unchanged="Nothing has changed.",
    faq_button="❓ FAQ",
    faq_title="Frequently asked questions\n\nChoose a topic.",
    category="Delivery",  # the admins' content, in English too (infra/demo.py)
    category_title="Delivery\n\nChoose a question.",
    topics=("Delivery", "Payment", "Returns"),
    questions=("How long does delivery take?", "Can I change the address?"),
    question="How long does delivery take?",
    answer_part="Usually 2–5 days within Russia.",
    up="⬆️ Up",
    back="⬅️ Back",
    logout="🚪 Log out",
    logged_out="You have logged out. Share your phone number to log in again.",
    share_button="📱 Share my phone number",
    guest_button="💬 Write to support",
    page_of="Page {page} of {pages}.",
)
WORDS = {
    ("customer", "ru"): Words(
        **RU,
        welcome="Добро пожаловать, Анна! Вы вошли.",
        photo_request=("📷 Запросить фото",),
        menu_labels=[
            "📦 Мои заказы",
            "❓ Частые вопросы",
            "💬 Задать вопрос",
            "📷 Фото товара",
            "⚠️ Жалоба",
            "🔔 Уведомления",
            "🚪 Выйти",
            "🗑 Удалить мои данные",
        ],
        orders_button="📦 Мои заказы",
        list_title="Ваши заказы (32).",
        line_word="· доставлен",
        amount_label="Сумма: ",
        counterparty_label="Продавец: ",
        not_counterparty_label="Город покупателя: ",
    ),
    ("customer", "en"): Words(
        **EN,
        welcome="Welcome, Анна! You are logged in.",
        photo_request=("📷 Request photos",),
        menu_labels=[
            "📦 My orders",
            "❓ FAQ",
            "💬 Ask a question",
            "📷 Product photo",
            "⚠️ Complaint",
            "🔔 Notifications",
            "🚪 Log out",
            "🗑 Delete my data",
        ],
        orders_button="📦 My orders",
        list_title="Your orders (32).",
        line_word="· delivered",
        amount_label="Amount: ",
        counterparty_label="Seller: ",
        not_counterparty_label="Buyer's city: ",
    ),
    ("partner", "ru"): Words(
        **RU,
        welcome="Добро пожаловать, Лавка Петра! Вы вошли.",
        menu_labels=[
            "📦 Заказы моих товаров",
            "❓ Частые вопросы",
            "💬 Задать вопрос",
            "⚠️ Жалоба",
            "🔔 Уведомления",
            "🚪 Выйти",
            "🗑 Удалить мои данные",
        ],
        orders_button="📦 Заказы моих товаров",
        list_title=f"Заказы ваших товаров ({PARTNER_ORDERS}).",
        line_word="· к выплате ",
        amount_label="К выплате: ",
        counterparty_label="Город покупателя: ",
        not_counterparty_label="Продавец: ",
    ),
    ("partner", "en"): Words(
        **EN,
        welcome="Welcome, Лавка Петра! You are logged in.",
        menu_labels=[
            "📦 Orders of my goods",
            "❓ FAQ",
            "💬 Ask a question",
            "⚠️ Complaint",
            "🔔 Notifications",
            "🚪 Log out",
            "🗑 Delete my data",
        ],
        orders_button="📦 Orders of my goods",
        list_title=f"Orders of your goods ({PARTNER_ORDERS}).",
        line_word="· payout ",
        amount_label="Payout: ",
        counterparty_label="Buyer's city: ",
        not_counterparty_label="Seller: ",
    ),
}
ACCOUNTS = {
    "customer": (CUSTOMER_PHONE, CUSTOMER_ORDERS, ("Лавка Петра", "Дом и сад", "ТехноМир")),
    "partner": (PARTNER_PHONE, PARTNER_ORDERS, ("Казань", "Тверь", "Самара", "Омск")),
}


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("user_type", ["customer", "partner"])
def test_journey(harness, user_type, language):
    words = WORDS[user_type, language]
    phone, total, counterparties = ACCOUNTS[user_type]
    pages = -(-total // 5)
    user = harness.user(100000001, language=language)

    # GIVEN a user who opens the bot
    # WHEN they send /start
    screen = user.send("/start")
    # THEN they are greeted and asked to log in with a request_contact reply keyboard
    # (/start is not taken for a typed phone number)
    assert screen.text.startswith(words.greeting)
    assert words.login_prompt in screen.text
    assert screen.reply_markup == {
        "keyboard": [[{"text": words.share_button, "request_contact": True}], [{"text": words.guest_button}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }

    # WHEN they share their own contact (Telegram sends the phone without "+")
    user.share_contact(phone.lstrip("+"))
    # THEN the reply keyboard is taken away with a welcome, and the main menu follows
    welcome, menu = harness.world.bot_messages(user.user_id)[-2:]
    assert welcome.text == words.welcome
    assert welcome.reply_markup == {"remove_keyboard": True}
    assert user.labels(menu) == words.menu_labels

    # WHEN they open the orders
    orders = user.tap(words.orders_button)
    # THEN the list says whose orders these are, how many and which page, with pager controls
    assert orders.message_id == menu.message_id  # the menu message is edited in place
    assert words.list_title in orders.text
    assert words.page_of.format(page=1, pages=pages) in orders.text
    assert words.line_word in orders.text
    assert user.labels(orders)[5:10] == ["⏮", "◀️", f"1 / {pages}", "▶️", "⏭"]
    if user_type == "partner":
        # the buyer's city is the counterparty on every line, and money is a payout
        assert any(city in orders.text for city in counterparties)
        assert not any(seller in orders.text for seller in ACCOUNTS["customer"][2][1:])

    # WHEN they go to the last page
    orders = user.tap("⏭")
    # THEN it is shown with its page number, and only the orders that are left
    assert words.page_of.format(page=pages, pages=pages) in orders.text
    order_labels = [label for label in user.labels(orders) if label.startswith("№")]
    assert len(order_labels) == total - 5 * (pages - 1)
    assert f"{pages} / {pages}" in user.labels(orders)

    # WHEN they open an order on that page
    card = user.tap(order_labels[-1])
    # THEN the card shows the number, status, amount with currency, counterparty and update time
    number = order_labels[-1].split(" ")[0]
    lines = card.text.split("\n")
    assert lines[0] in (f"Заказ {number}", f"Order {number}")
    assert any(line.startswith(words.amount_label) and "₽" in line for line in lines)
    counterparty = next(line for line in lines if line.startswith(words.counterparty_label))
    assert counterparty.removeprefix(words.counterparty_label) in counterparties
    assert not any(line.startswith(words.not_counterparty_label) for line in lines)
    assert any(line.startswith(("Обновлён: ", "Updated: ")) for line in lines)
    assert user.labels(card) == [
        words.refresh,
        words.ask_support,
        *words.photo_request,
        words.back_to_list,
        words.home,
    ]

    # WHEN they refresh and nothing has changed
    before = card.text
    answers = len(user.callback_answers)
    card = user.tap(words.refresh)
    # THEN a toast says so (no error, the card stays as it was)
    assert user.callback_answers[answers:] == [words.unchanged]
    assert card.text == before

    # WHEN they go back to the list
    orders = user.tap(words.back_to_list)
    # THEN they are on the same (last) page
    assert words.page_of.format(page=pages, pages=pages) in orders.text
    assert [label for label in user.labels(orders) if label.startswith("№")] == order_labels

    # WHEN they go to the main menu and open the FAQ
    menu = user.tap(words.home)
    assert user.labels(menu) == words.menu_labels
    faq = user.tap(words.faq_button)
    # THEN the topics are listed in the admins' order
    assert faq.text == words.faq_title
    assert user.labels(faq) == [*words.topics, words.back, words.home]

    # WHEN they open a category
    category = user.tap(words.category)
    # THEN its questions are listed, with Back and Main menu (no Up beside Back: both would lead
    # to the FAQ's top)
    assert category.text == words.category_title
    assert user.labels(category) == [*words.questions, words.back, words.home]

    # WHEN they open a question
    answer = user.tap(words.question)
    # THEN the answer is shown with its formatting
    assert answer.text == f"{words.question}\n\n{words.answer_part}"
    assert {"type": "bold", "offset": 0, "length": len(words.question)} in answer.entities
    assert user.labels(answer) == [words.back, words.home]
    assert words.up not in user.labels(answer)

    # WHEN they go Back
    category = user.tap(words.back)
    # THEN they are in the category again
    assert category.text == words.category_title

    # WHEN they go Back
    faq = user.tap(words.back)
    # THEN they are at the FAQ's top (the path they took)
    assert faq.text == words.faq_title

    # WHEN they go Back again
    menu = user.tap(words.back)
    # THEN the main menu is shown
    assert user.labels(menu) == words.menu_labels

    # WHEN they log out
    screen = user.tap(words.logout)
    # THEN they are told so in the chat, and are back at login with the request_contact keyboard
    assert screen.text.startswith(words.logged_out + "\n\n" + words.greeting)
    assert words.login_prompt in screen.text
    assert screen.reply_markup["keyboard"][0][0] == {"text": words.share_button, "request_contact": True}

    # AND the main menu they left is not usable any more: they must log in again
    screen = user.tap(words.orders_button, message=menu)
    assert words.login_prompt in screen.text
    assert "request_contact" in screen.reply_markup["keyboard"][0][0]

"""A customer's journey, read like a conversation: every step asserts what the user sees."""

from __future__ import annotations

from infra.demo import CUSTOMER_PHONE


def test_customer_logs_in_and_browses_orders(harness):
    anna = harness.user(100000001)
    # WHEN Anna starts the bot
    screen = anna.send("/start")
    # THEN she is asked to share her phone with a request_contact reply keyboard
    assert "войдите" in screen.text
    assert screen.reply_markup["keyboard"][0][0]["request_contact"] is True
    # WHEN she shares her own contact
    anna.share_contact(CUSTOMER_PHONE.lstrip("+"))
    # THEN the reply keyboard is removed with a welcome, and the main menu follows
    welcome, menu = harness.world.bot_messages(anna.user_id)[-2:]
    assert welcome.text == "Добро пожаловать, Анна! Вы вошли."
    assert menu.text == "Главное меню · Анна"  # one greeting, not two in a row
    assert welcome.reply_markup == {"remove_keyboard": True}
    assert anna.labels(menu) == [
        "📦 Мои заказы",
        "❓ Частые вопросы",
        "💬 Задать вопрос",
        "📷 Фото товара",
        "⚠️ Жалоба",
        "🔔 Уведомления",
        "🚪 Выйти",
        "🗑 Удалить мои данные",
    ]
    # WHEN she opens her orders
    orders = anna.tap("📦 Мои заказы")
    assert "Страница 1 из 7" in orders.text
    assert "№10265" in orders.text
    # AND goes to the last page
    orders = anna.tap("⏭")
    assert "Страница 7 из 7" in orders.text
    # AND the last page offers no ▶️ that would lead nowhere ("Ничего не изменилось.")
    assert "▶️" not in anna.labels(orders)
    # AND opens an order there
    order_label = next(label for label in anna.labels(orders) if label.startswith("№"))
    card = anna.tap(order_label)
    assert card.text.startswith("Заказ №")
    assert "Продавец:" in card.text
    # WHEN she refreshes and nothing changed
    anna.tap("🔄 Обновить")
    # THEN she is told so instead of an error
    assert anna.callback_answers[-1] == "Ничего не изменилось."
    # WHEN she goes back
    orders = anna.tap("⬅️ К списку")
    # THEN she is on the same page of the list
    assert "Страница 7 из 7" in orders.text

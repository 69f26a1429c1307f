"""Demo data: a customer with many orders, a partner, a two-level FAQ and a complaint tree (both
in Russian, the default language, and English).

Loaded by the local stack on start and used by the functional tests, so what a newcomer clicks
through locally is what the tests assert on.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from supportbot.backend import Order
from supportbot.backend.builtin import BuiltinBackend
from supportbot.content import ContentItem

CUSTOMER_PHONE = "+79001234567"
CUSTOMER_NAME = "Анна"
CUSTOMER_ORDERS = 32
CUSTOMER_CITY = "Казань"
PARTNER_PHONE = "+79007654321"
PARTNER_NAME = "Лавка Петра"
SELLERS = (PARTNER_NAME, "Дом и сад", "ТехноМир")
CITIES = ("Тверь", "Самара", "Омск")  # other buyers of the partner's goods
OTHER_BUYERS_ORDERS = 7
NEWEST_NUMBER = 10265  # order numbers grow with time: the newest order has the largest
PAYOUT_SHARE = 0.85  # what the partner is paid of an order's amount
PRODUCTS = ("Электрический чайник", "Набор кружек", "Садовые перчатки", "Настольная лампа")
STATUSES = ("delivered", "in_transit", "assembling", "paid", "new", "cancelled", None)
EPOCH = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)

FAQ = [
    # (node_id, path, position, title, text)
    ("dlv", "/", 1, "Доставка", ""),
    ("dlv1", "/dlv/", 1, "Сколько идёт доставка?", "Обычно <b>2–5 дней</b> по России."),
    (
        "dlv2",
        "/dlv/",
        2,
        "Можно ли изменить адрес?",
        "Да, пока заказ не передан в доставку: напишите в поддержку.",
    ),
    ("pay", "/", 2, "Оплата", ""),
    ("pay1", "/pay/", 1, "Какие способы оплаты есть?", "Картой онлайн, СБП или при получении."),
    ("pay2", "/pay/", 2, "Когда списываются деньги?", "Сразу после оформления заказа."),
    ("ret", "/", 3, "Возврат", "Вернуть товар можно в течение 14 дней."),
]
# The same nodes in English, {node_id: (title, text)}: English-speaking users see these.
FAQ_EN = {
    "dlv": ("Delivery", ""),
    "dlv1": ("How long does delivery take?", "Usually <b>2–5 days</b> within Russia."),
    "dlv2": ("Can I change the address?", "Yes, until the order is handed to delivery: write to support."),
    "pay": ("Payment", ""),
    "pay1": ("How can I pay?", "By card online, by SBP or on delivery."),
    "pay2": ("When is the money taken?", "Right after the order is placed."),
    "ret": ("Returns", "You can return an item within 14 days."),
}


# The complaint tree: (node_id, path, position, title, text, step). A step says what the node asks
# for and whether it submits (see supportbot/content.py); "Товар повреждён" asks for the order,
# then a photo, then a description, three levels down.
COMPLAINTS = [
    ("ord", "/", 1, "Проблема с заказом", "Что не так с заказом?", {}),
    (
        "dmg",
        "/ord/",
        1,
        "Товар повреждён",
        "Жаль, что так вышло. Укажите заказ, пришлите фото повреждения и опишите его.",
        {"ask": "order"},
    ),
    (
        "dmg_p",
        "/ord/dmg/",
        1,
        "Фото повреждения",
        "Сфотографируйте повреждение так, чтобы его было хорошо видно.",
        {"ask": "photo"},
    ),
    (
        "dmg_t",
        "/ord/dmg/dmg_p/",
        1,
        "Описание",
        "Опишите, что повреждено и как это обнаружилось.",
        {"ask": "text", "min_length": 10, "submit": True},
    ),
    ("wrong", "/ord/", 2, "Пришёл не тот товар", "Укажите заказ.", {"ask": "order"}),
    (
        "wrong_t",
        "/ord/wrong/",
        1,
        "Что пришло",
        "Что вы заказывали и что получили?",
        {"ask": "text", "submit": True},
    ),
    ("dlv", "/", 2, "Доставка", "Что случилось с доставкой?", {}),
    ("late", "/dlv/", 1, "Опоздание доставки", "Укажите заказ, который задержался.", {"ask": "order"}),
    (
        "late_t",
        "/dlv/late/",
        1,
        "Подробности",
        "Когда обещали доставить и что сообщил курьер?",
        {"ask": "text", "submit": True},
    ),
    ("courier", "/dlv/", 2, "Жалоба на курьера", "Опишите, что произошло.", {"ask": "text", "submit": True}),
    (
        "oth",
        "/",
        3,
        "Другое",
        "Опишите проблему своими словами.",
        {"ask": "text", "min_length": 10, "submit": True},
    ),
]
COMPLAINTS_EN = {
    "ord": ("Problem with an order", "What is wrong with the order?"),
    "dmg": ("Item damaged", "We are sorry. Pick the order, send a photo of the damage and describe it."),
    "dmg_p": ("Photo of the damage", "Take a photo in which the damage is clearly visible."),
    "dmg_t": ("Description", "Describe what is damaged and how you found it."),
    "wrong": ("Wrong item delivered", "Pick the order."),
    "wrong_t": ("What arrived", "What did you order and what did you get?"),
    "dlv": ("Delivery", "What happened with the delivery?"),
    "late": ("Late delivery", "Pick the order that is late."),
    "late_t": ("Details", "When was it promised and what did the courier say?"),
    "courier": ("Complaint about the courier", "Describe what happened."),
    "oth": ("Other", "Describe the problem in your own words."),
}


def demo_orders(count: int, prefix: str = "A") -> list[Order]:
    """A customer's ``count`` orders, newest first (the newest has the largest number), with every
    status (and an unknown one) represented, bought from the three sellers in turn."""
    orders = []
    for n in range(count):
        updated = EPOCH - timedelta(hours=7 * n)
        orders.append(
            Order(
                id=f"{prefix}{10000 + n}",
                number=str(NEWEST_NUMBER - n),
                title=PRODUCTS[n % len(PRODUCTS)],
                status=STATUSES[n % len(STATUSES)],
                status_text=None,
                amount=f"{1234.5 + 100 * n:.2f}",
                currency="RUB",
                updated_at=updated.isoformat(),
                items_count=n % 4 + 1,
                counterparty=SELLERS[n % len(SELLERS)],
            )
        )
    return orders


def partner_orders() -> list[Order]:
    """The partner's view of the orders of its goods, newest first: the demo customer's orders
    from it (the same orders: same numbers, the buyer's city as counterparty, the payout as
    amount) and other buyers' newer ones."""
    others = [
        Order(
            id=f"P{10000 + k}",
            number=str(NEWEST_NUMBER + OTHER_BUYERS_ORDERS - k),
            title=PRODUCTS[k % len(PRODUCTS)],
            status=STATUSES[k % len(STATUSES)],
            status_text=None,
            amount=f"{(990 + 150 * k) * PAYOUT_SHARE:.2f}",
            currency="RUB",
            updated_at=(EPOCH + timedelta(hours=3 * (OTHER_BUYERS_ORDERS - k))).isoformat(),
            items_count=k % 3 + 1,
            counterparty=CITIES[k % len(CITIES)],
        )
        for k in range(OTHER_BUYERS_ORDERS)
    ]
    customers = [
        dataclasses.replace(
            order,
            id="P" + order.id,
            amount=f"{float(order.amount) * PAYOUT_SHARE:.2f}",
            counterparty=CUSTOMER_CITY,
        )
        for order in demo_orders(CUSTOMER_ORDERS)
        if order.counterparty == PARTNER_NAME
    ]
    return others + customers


PARTNER_ORDERS = OTHER_BUYERS_ORDERS + -(-CUSTOMER_ORDERS // len(SELLERS))  # 7 + 11


def english(translated: dict[str, tuple[str, str]], node_id: str) -> dict[str, dict[str, str]]:
    title, text = translated[node_id]
    return {"en": {"title": title, **({"text": text} if text else {})}}


def load_demo_data(backend: BuiltinBackend | None = None) -> None:
    backend = backend or BuiltinBackend()
    backend.upsert_customer(CUSTOMER_PHONE, "customer", CUSTOMER_NAME)
    backend.import_orders(CUSTOMER_PHONE, demo_orders(CUSTOMER_ORDERS))
    backend.upsert_customer(PARTNER_PHONE, "partner", PARTNER_NAME)
    backend.import_orders(PARTNER_PHONE, partner_orders())
    with ContentItem.batch_write() as batch:
        for node_id, path, position, title, text in FAQ:
            batch.save(
                ContentItem(
                    "faq",
                    node_id,
                    path=path,
                    position=position,
                    title=title,
                    text=text,
                    translations=english(FAQ_EN, node_id),
                    version=1,
                )
            )
        for node_id, path, position, title, text, step in COMPLAINTS:
            batch.save(
                ContentItem(
                    "complaints",
                    node_id,
                    path=path,
                    position=position,
                    title=title,
                    text=text,
                    translations=english(COMPLAINTS_EN, node_id),
                    version=1,
                    **step,
                )
            )

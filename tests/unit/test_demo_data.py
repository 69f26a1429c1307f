"""The demo data a newcomer clicks through locally reads like a real shop's."""

from __future__ import annotations

from infra.demo import (
    CUSTOMER_CITY,
    CUSTOMER_ORDERS,
    PARTNER_NAME,
    PARTNER_ORDERS,
    demo_orders,
    partner_orders,
)


def test_the_newest_order_has_the_largest_number() -> None:
    orders = demo_orders(CUSTOMER_ORDERS)  # newest first, as the bot lists them
    numbers = [int(order.number) for order in orders]
    assert numbers == sorted(numbers, reverse=True)
    assert [o.updated_at for o in orders] == sorted((o.updated_at for o in orders), reverse=True)


def test_the_customers_orders_from_the_partner_are_in_the_partners_list() -> None:
    bought = {o.number: o for o in demo_orders(CUSTOMER_ORDERS) if o.counterparty == PARTNER_NAME}
    listed = {o.number: o for o in partner_orders()}
    assert len(bought) == 11
    assert set(bought) <= set(listed)
    for number, order in bought.items():
        # the same order as the partner sees it: the buyer's city, a payout below the price
        mine = listed[number]
        assert (mine.title, mine.updated_at, mine.counterparty) == (
            order.title,
            order.updated_at,
            CUSTOMER_CITY,
        )
        assert float(mine.amount) < float(order.amount)
    assert len(listed) == PARTNER_ORDERS
    # AND the partner's list is newest first with the largest numbers first, like the customer's
    numbers = [int(o.number) for o in partner_orders()]
    assert numbers == sorted(numbers, reverse=True)
    assert len({o.id for o in partner_orders()}) == PARTNER_ORDERS

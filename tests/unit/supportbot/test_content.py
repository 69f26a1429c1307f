"""Content trees: parent paths and positions give the order; the cache sees edits after its ttl."""

from __future__ import annotations

from supportbot.content import ROOT, ContentItem, ContentStore, Tree


def item(node_id: str, path: str, position: int, title: str = "") -> ContentItem:
    return ContentItem("faq", node_id, path=path, position=position, title=title or node_id)


def test_tree_orders_siblings_by_position_and_drops_orphans():
    tree = Tree.from_items(
        "faq",
        [
            item("b", "/", 2),
            item("a", "/", 1),
            item("a2", "/a/", 2),
            item("a1", "/a/", 1),
            item("x", "/gone/", 1),
        ],
    )
    assert tree.get(ROOT).children == ("a", "b")
    assert [node.id for node in tree.children("a")] == ["a1", "a2"]
    assert tree.get("a2").parent_id == "a"
    assert tree.get("x") is None


def test_the_path_down_to_a_node_and_a_node_whose_branch_is_gone():
    tree = Tree.from_items("faq", [item("a", "/", 1), item("a1", "/a/", 1), item("a11", "/a/a1/", 1)])
    deep = tree.get("a11")
    assert deep.ancestors == ["a", "a1"]
    assert [node.id for node in tree.path_to(deep)] == ["a", "a1", "a11"]
    # a node kept from an earlier load whose parent an admin removed since
    pruned = Tree.from_items("faq", [item("a", "/", 1)])
    assert pruned.path_to(deep) is None


def test_store_loads_a_tree_with_one_query_and_caches_it(aws):
    # GIVEN a tree in DynamoDB and a store whose clock we control
    now = [0.0]
    store = ContentStore(ttl=10, clock=lambda: now[0])
    item("a", "/", 1, "Delivery").save()
    assert [n.title for n in store.tree("faq").children(ROOT)] == ["Delivery"]
    # WHEN an admin adds a question before the cache expires
    item("b", "/", 0, "Payment").save()
    now[0] = 9.9
    # THEN the cached tree is still served
    assert [n.title for n in store.tree("faq").children(ROOT)] == ["Delivery"]
    # AND after the ttl the new node appears in position order
    now[0] = 10.0
    assert [n.title for n in store.tree("faq").children(ROOT)] == ["Payment", "Delivery"]


def translated(node_id: str, path: str, title: str, text: str, translations: object) -> ContentItem:
    return ContentItem("faq", node_id, path=path, title=title, text=text, translations=translations)


def test_a_user_sees_their_language_falling_back_to_the_default_field_by_field():
    tree = Tree.from_items(
        "faq",
        [
            translated(
                "full", "/", "Доставка", "2–5 дней", {"en": {"title": "Delivery", "text": "2–5 days"}}
            ),
            translated("title", "/", "Оплата", "Картой", {"en": {"title": "Payment"}}),
            translated("text", "/", "Возврат", "14 дней", {"en": {"text": "14 days"}}),
            translated("none", "/", "Другое", "Текст", None),
            translated("empty", "/", "Пусто", "Текст", {"en": {"title": "", "text": ""}}),
        ],
    )
    english = tree.localized("en")
    shown = {
        node_id: (english.get(node_id).title, english.get(node_id).text)
        for node_id in tree.get(ROOT).children
    }
    assert shown == {
        "full": ("Delivery", "2–5 days"),
        "title": ("Payment", "Картой"),
        "text": ("Возврат", "14 days"),
        "none": ("Другое", "Текст"),
        "empty": ("Пусто", "Текст"),
    }
    # the default language (and one nobody translated into) is the tree as stored
    assert tree.localized("ru").get("full").title == "Доставка"
    assert tree.localized("de").get("full").text == "2–5 дней"
    # the order and the structure are the same in every language
    assert english.get(ROOT).children == tree.get(ROOT).children


def test_stored_translations_that_are_not_strings_are_ignored():
    tree = Tree.from_items(
        "faq", [translated("a", "/", "Доставка", "", {"en": {"title": 5, "text": ["x"]}, "de": "nope"})]
    )
    assert tree.localized("en").get("a").title == "Доставка"
    assert tree.get("a").translations == {}


def test_store_serves_each_language_from_one_load(aws):
    now = [0.0]
    store = ContentStore(ttl=10, clock=lambda: now[0])
    translated("a", "/", "Доставка", "", {"en": {"title": "Delivery"}}).save()
    assert store.tree("faq", "en").get("a").title == "Delivery"
    assert store.tree("faq", "en") is store.tree("faq", "en")
    assert store.tree("faq").get("a").title == "Доставка"
    # an edit shows in every language after the ttl
    edited = ContentItem.get("faq", "a")
    edited.translations = {"en": {"title": "Shipping"}}
    edited.save()
    now[0] = 10.0
    assert store.tree("faq", "en").get("a").title == "Shipping"

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

"""The FAQ and complaint trees through the admin API: what an admin does, and what is refused."""

from __future__ import annotations

import pytest


def create(admin, tree="faq", **fields):
    status, body = admin.call("POST", f"/trees/{tree}/nodes", {"title": "Node", **fields})
    assert status == 201, body
    return body


def test_create_read_edit_and_see_it_in_the_tree(admin):
    # GIVEN a section with one question, created by the admin
    section = create(admin, node_id="delivery", title="Delivery", text="About <b>delivery</b>")
    question = create(admin, parent_id="delivery", title="How long?", text="2-3 days")
    # THEN ids are short and URL-safe (generated when not given), and the tree nests them
    assert section["node_id"] == "delivery"
    assert 1 <= len(question["node_id"]) <= 16
    assert question["path"] == "/delivery/"
    status, tree = admin.call("GET", "/trees/faq")
    assert status == 200
    assert [n["node_id"] for n in tree["nodes"]] == ["delivery"]
    assert [n["title"] for n in tree["nodes"][0]["children"]] == ["How long?"]
    # WHEN the question is edited with the version read
    status, edited = admin.call(
        "PUT",
        f"/trees/faq/nodes/{question['node_id']}",
        {"title": "How long?", "text": "1-2 days", "version": 1},
    )
    # THEN it is saved with the next version, and the bot's content store reads it
    assert status == 200, edited
    assert edited["version"] == 2
    from supportbot.content import ContentStore

    assert ContentStore(ttl=0).tree("faq").get(question["node_id"]).text == "1-2 days"
    assert admin.call("GET", f"/trees/faq/nodes/{question['node_id']}")[1]["text"] == "1-2 days"


def test_an_edit_with_a_stale_version_is_409(admin):
    node = create(admin, title="Returns")
    assert admin.call("PUT", f"/trees/faq/nodes/{node['node_id']}", {"title": "A", "version": 1})[0] == 200
    # WHEN another admin saves over the version they read before
    status, body = admin.call("PUT", f"/trees/faq/nodes/{node['node_id']}", {"title": "B", "version": 1})
    # THEN 409, and the first edit stays
    assert status == 409, body
    assert admin.call("GET", f"/trees/faq/nodes/{node['node_id']}")[1]["title"] == "A"


def test_unknown_trees_and_nodes(admin):
    assert admin.call("GET", "/trees/news")[0] == 422
    assert admin.call("GET", "/trees/faq/nodes/nope")[0] == 404
    assert admin.call("GET", "/trees/faq/nodes/" + "x" * 300)[0] == 404
    assert admin.call("PUT", "/trees/faq/nodes/nope", {"title": "A", "version": 1})[0] == 404
    assert admin.call("DELETE", "/trees/faq/nodes/nope")[0] == 404
    status, body = admin.call("POST", "/trees/faq/nodes", {"title": "A", "parent_id": "missing"})
    assert status == 409  # valid by the document; the tree has no such node
    assert body["message"].startswith("parent_id:")
    # AND a tree whose writes are not declared has none
    assert admin.call("POST", "/trees/news/nodes", {"title": "A"})[0] == 404


@pytest.mark.parametrize(
    ("fields", "field", "expected"),
    [
        ({"title": ""}, "title", 422),
        ({"title": "   "}, "title", 422),
        ({"title": "x" * 65}, "title", 422),
        ({"title": "two\nlines"}, "title", 422),
        # What Telegram would refuse: valid by the document, a rule it cannot state (400)
        ({"title": "A", "text": "<b>unclosed"}, "text", 400),
        ({"title": "A", "text": "<script>alert(1)</script>"}, "text", 400),
        ({"title": "A", "text": "Tom & Jerry"}, "text", 400),
        ({"title": "A", "text": "x" * 4094}, "text", 400),  # 4097 with the heading "A"
        ({"title": "A", "node_id": "has space"}, "node_id", 422),
        ({"title": "A", "node_id": "x" * 17}, "node_id", 422),
        ({"title": "A", "node_id": "root"}, "node_id", 422),
        ({"title": "A", "ask": "text"}, "ask", 422),  # a complaint step's field: no FAQ node's
        ({"title": "A", "position": -1}, "position", 422),
    ],
)
def test_what_telegram_or_the_tree_would_refuse_is_refused_naming_the_field(admin, fields, field, expected):
    status, body = admin.call("POST", "/trees/faq/nodes", fields)
    assert status == expected, body
    assert body["detail"][0]["loc"][-1] == field, body
    assert body["detail"][0]["msg"]
    assert admin.call("GET", "/trees/faq")[1]["count"] == 0


def test_a_long_text_under_telegrams_limit_is_taken_and_entities_do_not_count(admin):
    # 4000 visible characters in bold: the markup is not counted, as Telegram counts
    node = create(admin, title="T", text="<b>" + "x" * 4000 + "</b>")
    assert node["text"].startswith("<b>")


def test_complaint_steps_have_their_fields_and_keep_room_for_the_bots_lines(admin):
    step = create(
        admin, "complaints", title="Describe", ask="text", min_length=10, max_length=200, submit=True
    )
    assert (step["ask"], step["min_length"], step["max_length"], step["submit"]) == ("text", 10, 200, True)
    status, body = admin.call(
        "POST", "/trees/complaints/nodes", {"title": "A", "min_length": 50, "max_length": 10}
    )
    assert status == 400  # one field against another: the document cannot state it
    assert body["detail"][0]["loc"] == ["body", "max_length"]
    status, body = admin.call("POST", "/trees/complaints/nodes", {"title": "A", "text": "x" * 3800})
    assert status == 400
    assert body["detail"][0]["loc"] == ["body", "text"]
    assert admin.call("POST", "/trees/complaints/nodes", {"title": "A", "ask": "video"})[0] == 422


def test_a_taken_node_id_is_409(admin):
    create(admin, node_id="a1")
    assert admin.call("POST", "/trees/faq/nodes", {"title": "again", "node_id": "a1"})[0] == 409


def test_delete_a_node_with_children_needs_cascade(admin):
    create(admin, node_id="a")
    create(admin, node_id="b", parent_id="a")
    create(admin, node_id="c", parent_id="b")
    # WHEN the parent is deleted without cascade THEN 409, nothing deleted
    status, body = admin.call("DELETE", "/trees/faq/nodes/a")
    assert status == 409, body
    assert admin.call("GET", "/trees/faq")[1]["count"] == 3
    # AND a stale version is refused too
    assert admin.call("DELETE", "/trees/faq/nodes/a?cascade=true&version=7")[0] == 409
    # WHEN with cascade THEN the whole subtree goes
    status, body = admin.call("DELETE", "/trees/faq/nodes/a?cascade=true&version=1")
    assert status == 200
    assert sorted(body["deleted"]) == ["a", "b", "c"]
    assert admin.call("GET", "/trees/faq")[1]["count"] == 0
    # AND a leaf needs no cascade
    create(admin, node_id="d")
    assert admin.call("DELETE", "/trees/faq/nodes/d")[0] == 200


def test_move_rewrites_the_subtrees_paths_and_refuses_a_cycle(admin):
    for node_id, parent in [("a", "root"), ("b", "a"), ("c", "b"), ("d", "root")]:
        create(admin, node_id=node_id, parent_id=parent)
    # WHEN b (with c below it) moves under d
    status, moved = admin.call("POST", "/trees/faq/nodes/b/move", {"parent_id": "d", "version": 1})
    # THEN b and its descendant have new paths, and the bot sees the new tree
    assert status == 200, moved
    assert moved["path"] == "/d/"
    assert admin.call("GET", "/trees/faq/nodes/c")[1]["path"] == "/d/b/"
    from supportbot.content import ContentStore

    tree = ContentStore(ttl=0).tree("faq")
    assert tree.get("d").children == ("b",)
    assert tree.get("b").children == ("c",)
    assert tree.get("a").children == ()
    # WHEN a node would move under itself or its descendant THEN 409 naming the cycle (the tree's state)
    for target in ("b", "c"):
        status, body = admin.call("POST", "/trees/faq/nodes/b/move", {"parent_id": target, "version": 2})
        assert status == 409, body
        assert "cycle" in body["message"]
    # AND a stale version is 409, an unknown parent 409, an unknown node 404
    assert admin.call("POST", "/trees/faq/nodes/b/move", {"parent_id": "a", "version": 1})[0] == 409
    assert admin.call("POST", "/trees/faq/nodes/b/move", {"parent_id": "zz", "version": 2})[0] == 409
    assert admin.call("POST", "/trees/faq/nodes/zz/move", {"parent_id": "a", "version": 1})[0] == 404
    # AND back to the top level
    status, moved = admin.call(
        "POST", "/trees/faq/nodes/b/move", {"parent_id": "root", "position": 0, "version": 2}
    )
    assert status == 200
    assert admin.call("GET", "/trees/faq/nodes/c")[1]["path"] == "/b/"


def test_reorder_changes_the_bots_menu_order(admin):
    for node_id in ("q1", "q2", "q3"):
        create(admin, node_id=node_id)
    status, body = admin.call(
        "POST", "/trees/faq/reorder", {"parent_id": "root", "order": ["q3", "q1", "q2"]}
    )
    assert status == 200, body
    from supportbot.content import ContentStore

    assert ContentStore(ttl=0).tree("faq").get("root").children == ("q3", "q1", "q2")
    # AND an order that leaves out or repeats a child, or names a stranger, is 409 naming the children
    for order in (["q1", "q2"], ["q1", "q1", "q2", "q3"], ["q1", "q2", "q3", "zz"]):
        status, body = admin.call("POST", "/trees/faq/reorder", {"order": order})
        assert status == 409, order
        assert body["message"] == "order: must list each child of 'root' once: q3, q1, q2"


def test_export_then_import_replaces_the_tree_checked_whole_first(admin):
    create(admin, node_id="a", title="A", text="<i>a</i>")
    create(admin, node_id="b", parent_id="a", title="B")
    status, exported = admin.call("GET", "/trees/faq/export")
    assert status == 200
    assert [(n["node_id"], n["parent_id"]) for n in exported["nodes"]] == [("a", "root"), ("b", "a")]
    # WHEN an import has one bad node THEN nothing is written
    bad = [*exported["nodes"], {"node_id": "c", "parent_id": "b", "title": "C", "text": "<b>"}]
    status, body = admin.call("POST", "/trees/faq/import", {"nodes": bad, "replace": True})
    assert status == 400
    assert body["detail"][0]["loc"] == ["body", "nodes", 2, "text"]
    for nodes, field in [
        (
            [
                {"node_id": "x", "parent_id": "y", "title": "X"},
                {"node_id": "y", "parent_id": "x", "title": "Y"},
            ],
            "parent_id",
        ),
        ([{"node_id": "x", "title": "X"}, {"node_id": "x", "title": "X again"}], "node_id"),
    ]:
        status, body = admin.call("POST", "/trees/faq/import", {"nodes": nodes, "replace": True})
        assert status == 400, nodes
        assert body["detail"][0]["loc"][-1] == field
    # AND a parent neither imported nor in the tree is 409 (the tree's state)
    status, body = admin.call(
        "POST", "/trees/faq/import", {"nodes": [{"node_id": "x", "parent_id": "nowhere", "title": "X"}]}
    )
    assert (status, body["message"]) == (
        409,
        "nodes.0.parent_id: no node 'nowhere' in the import or the tree",
    )
    assert admin.call("GET", "/trees/faq")[1]["count"] == 2
    # WHEN a good import replaces the tree (children may come before their parents)
    nodes = [
        {"node_id": "n2", "parent_id": "n1", "title": "Child"},
        {"node_id": "n1", "title": "Top", "position": 1},
        {"node_id": "a", "title": "A again", "position": 0},
    ]
    status, body = admin.call("POST", "/trees/faq/import", {"nodes": nodes, "replace": True})
    assert status == 200, body
    assert body == {"written": 3, "deleted": 1}
    tree = admin.call("GET", "/trees/faq")[1]
    assert [(n["node_id"], [c["node_id"] for c in n["children"]]) for n in tree["nodes"]] == [
        ("a", []),
        ("n1", ["n2"]),
    ]
    # AND without replace, the rest stays
    status, body = admin.call(
        "POST", "/trees/faq/import", {"nodes": [{"node_id": "n3", "parent_id": "n1", "title": "More"}]}
    )
    assert body == {"written": 1, "deleted": 0}
    assert admin.call("GET", "/trees/faq")[1]["count"] == 4

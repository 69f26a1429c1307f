"""Notes, tags and the assignee on a conversation: operators' own, never the customer's; the inbox
filtered by tag and by assignee (key conditions of the (gsi1pk, number) index)."""

from __future__ import annotations

import pytest

from tests.functional.admin.test_admin_support import ANNA, BORIS, customer_writes


def operator(admin, name="Olga"):
    return admin.call("POST", "/operators", {"name": name, "role": "operator"})[1]


def test_a_note_is_kept_for_colleagues_and_never_reaches_the_customer(admin):
    customer_writes(ANNA, "Where is my order?")
    olga = operator(admin)
    status, note = admin.call(
        "POST", "/conversations/C1/notes", {"text": "  Called her <twice>  "}, key=olga["key"]
    )
    assert status == 201
    assert (note["text"], note["author_id"], note["author_name"]) == (
        "Called her <twice>",
        olga["id"],
        "Olga",
    )
    admin.call("POST", "/conversations/C1/notes", {"text": "Courier says tomorrow"})
    notes = admin.call("GET", "/conversations/C1/notes", key=olga["key"])[1]["notes"]
    assert [n["text"] for n in notes] == ["Called her <twice>", "Courier says tomorrow"]
    # Nothing went to the customer, nor into the thread's messages
    assert admin.queued() == []
    thread = admin.call("GET", "/conversations/C1")[1]
    assert [m["parts"][0]["text"] for m in thread["messages"]] == ["Where is my order?"]
    # Bad notes and unknown conversations are refused
    assert admin.call("POST", "/conversations/C1/notes", {"text": "   "})[0] == 422
    assert admin.call("POST", "/conversations/C1/notes", {"text": "x" * 4001})[0] == 422
    assert admin.call("POST", "/conversations/C9/notes", {"text": "x"})[0] == 404


def test_tags_are_added_and_removed_and_filter_the_inbox(admin):
    customer_writes(ANNA, "Where is my order?")
    customer_writes(BORIS, "Broken box")
    status, conversation = admin.call("POST", "/conversations/C1/tags", {"tag": "VIP"})
    assert status == 200
    assert conversation["tags"] == ["vip"]
    admin.call("POST", "/conversations/C2/tags", {"tag": "vip"})
    admin.call("POST", "/conversations/C2/tags", {"tag": "damaged"})
    admin.call("POST", "/conversations/C2/tags", {"tag": "damaged"})  # once is enough
    listed = lambda query: [c["id"] for c in admin.call("GET", f"/conversations?{query}")[1]["conversations"]]  # noqa: E731
    assert listed("tag=vip") == ["C2", "C1"]
    assert listed("tag=damaged") == ["C2"]
    assert listed("tag=VIP&limit=1") == ["C2"]
    page = admin.call("GET", "/conversations?tag=vip&limit=1")[1]
    assert [
        c["id"]
        for c in admin.call("GET", f"/conversations?tag=vip&cursor={page['next_cursor']}")[1]["conversations"]
    ] == ["C1"]
    assert listed("tag=none") == []
    # WHEN a tag is removed
    status, conversation = admin.call("DELETE", "/conversations/C2/tags/vip")
    assert (status, conversation["tags"]) == (200, ["damaged"])
    assert listed("tag=vip") == ["C1"]
    assert admin.call("DELETE", "/conversations/C2/tags/vip")[0] == 200  # already gone: no change
    # AND bad tags are refused
    for bad in ("", "two words", "x" * 33, "<b>"):
        assert admin.call("POST", "/conversations/C1/tags", {"tag": bad})[0] == 422
    assert admin.queued() == []


def test_a_conversation_has_at_most_ten_tags(admin):
    customer_writes(ANNA, "Hi")
    for n in range(10):
        assert admin.call("POST", "/conversations/C1/tags", {"tag": f"t{n}"})[0] == 200
    status, body = admin.call("POST", "/conversations/C1/tags", {"tag": "eleventh"})
    assert (status, body["message"]) == (409, "tag: a conversation has at most 10 tags")
    assert admin.call("POST", "/conversations/C1/tags", {"tag": "t3"})[0] == 200


def test_assignment_to_me_to_another_and_to_nobody_filters_the_inbox(admin):
    customer_writes(ANNA, "Hi")
    customer_writes(BORIS, "Hello")
    olga, ivan = operator(admin, "Olga"), operator(admin, "Ivan")
    status, conversation = admin.call(
        "PUT", "/conversations/C1/assignee", {"assignee": "me"}, key=olga["key"]
    )
    assert (status, conversation["assignee"]) == (200, olga["id"])
    admin.call("PUT", "/conversations/C2/assignee", {"assignee": ivan["id"]}, key=olga["key"])

    def mine(key):
        return [c["id"] for c in admin.call("GET", "/conversations?assignee=me", key=key)[1]["conversations"]]

    assert mine(olga["key"]) == ["C1"]
    assert mine(ivan["key"]) == ["C2"]
    assert [
        c["id"] for c in admin.call("GET", f"/conversations?assignee={olga['id']}")[1]["conversations"]
    ] == ["C1"]
    # WHEN Ivan's is given to Olga, then C1 to nobody
    admin.call("PUT", "/conversations/C2/assignee", {"assignee": olga["id"]})
    admin.call("PUT", "/conversations/C1/assignee", {"assignee": None})
    assert mine(olga["key"]) == ["C2"]
    assert mine(ivan["key"]) == []
    assert admin.call("GET", "/conversations/C1")[1]["conversation"]["assignee"] is None
    # AND unknown operators, bad ids and both filters at once are refused
    assert admin.call("PUT", "/conversations/C1/assignee", {"assignee": "op-ffffffffffff"})[0] == 404
    assert admin.call("PUT", "/conversations/C1/assignee", {"assignee": "Olga"})[0] == 422
    assert admin.call("GET", "/conversations?assignee=me&tag=vip")[0] == 400
    assert admin.call("PUT", "/conversations/C9/assignee", {"assignee": None})[0] == 404


def test_a_change_landing_between_the_read_and_the_write_is_a_conflict(admin, monkeypatch):
    from supportbot.support import conversations
    from supportbot_admin import triage

    customer_writes(ANNA, "Hi")
    real = triage.find_conversation

    def read_then_a_message_moves_it(conversation_id):
        found = real(conversation_id)
        customer_writes(ANNA, "Hello again?")  # the conversation's version moves on
        return found

    monkeypatch.setattr(triage, "find_conversation", read_then_a_message_moves_it)
    assert admin.call("POST", "/conversations/C1/tags", {"tag": "vip"})[0] == 409
    assert admin.call("PUT", "/conversations/C1/assignee", {"assignee": "me"})[0] == 409
    monkeypatch.setattr(triage, "find_conversation", real)
    assert conversations.find(1).tags is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/conversations/C1/notes", {"text": "x"}),
        ("POST", "/conversations/C1/tags", {"tag": "vip"}),
        ("DELETE", "/conversations/C1/tags/vip", None),
        ("PUT", "/conversations/C1/assignee", {"assignee": "me"}),
    ],
)
def test_marks_are_audited_with_who_made_them(admin, method, path, body):
    customer_writes(ANNA, "Hi")
    olga = operator(admin)
    assert admin.call(method, path, body, key=olga["key"])[0] in (200, 201)
    (change,) = admin.call("GET", "/audit?limit=1")[1]["changes"]
    assert (change["actor_id"], change["path"]) == (olga["id"], "/v1/admin" + path)

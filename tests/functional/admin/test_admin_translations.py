"""Per-language content through the admin API: translations saved, refused naming the field,
exported and imported, and read by the bot in the user's language with the default's fallback."""

from __future__ import annotations

import pytest

from supportbot.content import ContentStore


def create(admin, tree="faq", **fields):
    status, body = admin.call("POST", f"/trees/{tree}/nodes", {"title": "Узел", **fields})
    assert status == 201, body
    return body


def test_a_translation_is_saved_read_back_and_shown_in_its_language(admin):
    # WHEN an admin creates a node with its English title and text
    node = create(
        admin,
        node_id="dlv",
        title="Доставка",
        text="Обычно <b>2–5 дней</b>.",
        translations={"en": {"title": "Delivery", "text": "Usually <b>2–5 days</b>."}},
    )
    # THEN it is saved and read back with them, and the tree says which language is whose
    assert node["translations"] == {"en": {"title": "Delivery", "text": "Usually <b>2–5 days</b>."}}
    status, tree = admin.call("GET", "/trees/faq")
    assert status == 200
    assert (tree["default_language"], tree["languages"]) == ("ru", ["ru", "en"])
    assert tree["nodes"][0]["translations"]["en"]["title"] == "Delivery"
    # AND the bot shows English to English users and Russian to the others
    store = ContentStore(ttl=0)
    assert store.tree("faq", "en").get("dlv").title == "Delivery"
    assert store.tree("faq", "ru").get("dlv").title == "Доставка"
    # WHEN the edit drops the English text but keeps the title
    status, edited = admin.call(
        "PUT",
        "/trees/faq/nodes/dlv",
        {
            "title": "Доставка",
            "text": "Обычно 2–5 дней.",
            "translations": {"en": {"title": "Shipping"}},
            "version": 1,
        },
    )
    assert status == 200, edited
    # THEN English users get the English title over the Russian text (field by field)
    english = ContentStore(ttl=0).tree("faq", "en").get("dlv")
    assert (english.title, english.text) == ("Shipping", "Обычно 2–5 дней.")
    # AND an edit with no translations removes them
    status, edited = admin.call("PUT", "/trees/faq/nodes/dlv", {"title": "Доставка", "version": 2})
    assert (status, edited["translations"]) == (200, {})
    assert ContentStore(ttl=0).tree("faq", "en").get("dlv").title == "Доставка"


@pytest.mark.parametrize(
    ("translations", "loc", "expected"),
    [
        # What Telegram would refuse: a rule the document cannot state, 400
        ({"en": {"text": "<b>unclosed"}}, ["body", "translations", "en", "text"], 400),
        ({"en": {"text": "Tom & Jerry"}}, ["body", "translations", "en", "text"], 400),
        ({"en": {"text": "x" * 4094}}, ["body", "translations", "en", "text"], 400),
        ({"en": {"title": "x" * 65}}, ["body", "translations", "en", "title"], 422),
        ({"en": {"title": "two\nlines"}}, ["body", "translations", "en", "title"], 422),
        ({"en": {"title": " "}}, ["body", "translations", "en", "title"], 422),
        ({"ru": {"title": "Дубль"}}, ["body", "translations", "ru"], 422),
    ],
)
def test_a_bad_translation_is_refused_naming_its_field(admin, translations, loc, expected):
    status, body = admin.call("POST", "/trees/faq/nodes", {"title": "A", "translations": translations})
    assert status == expected, body
    assert body["detail"][0]["loc"][: len(loc)] == loc
    # AND nothing was written
    assert admin.call("GET", "/trees/faq")[1]["count"] == 0


def test_an_unknown_language_is_422(admin):
    status, body = admin.call(
        "POST", "/trees/faq/nodes", {"title": "A", "translations": {"fr": {"title": "B"}}}
    )
    assert status == 422, body
    assert body["detail"][0]["loc"][:3] == ["body", "translations", "fr"]


def test_an_english_title_too_long_over_the_default_text_names_the_title(admin):
    # The English title is shown over the Russian text: together they must fit one message.
    status, body = admin.call(
        "POST",
        "/trees/faq/nodes",
        {"title": "A", "text": "x" * 4080, "translations": {"en": {"title": "y" * 20}}},
    )
    assert status == 400, body
    assert body["detail"][0]["loc"] == ["body", "translations", "en", "title"]


def test_a_complaint_prompt_keeps_room_for_the_bots_lines_in_every_language(admin):
    status, body = admin.call(
        "POST",
        "/trees/complaints/nodes",
        {"title": "Другое", "ask": "text", "translations": {"en": {"text": "x" * 3700}}},
    )
    assert status == 400, body
    assert body["detail"][0]["loc"] == ["body", "translations", "en", "text"]
    node = create(
        admin,
        "complaints",
        title="Другое",
        text="Опишите.",
        ask="text",
        translations={"en": {"title": "Other", "text": "Describe it."}},
    )
    english = ContentStore(ttl=0).tree("complaints", "en").get(node["node_id"])
    assert (english.title, english.text, english.ask) == ("Other", "Describe it.", "text")


def test_export_and_import_carry_translations(admin):
    create(admin, node_id="a", title="Оплата", translations={"en": {"title": "Payment"}})
    create(
        admin,
        node_id="b",
        parent_id="a",
        title="Когда?",
        text="Сразу.",
        translations={"en": {"text": "At once."}},
    )
    create(admin, node_id="c", title="Возврат")
    # WHEN the tree is exported
    status, exported = admin.call("GET", "/trees/faq/export")
    assert status == 200
    # THEN each node carries its translations (none where it has none)
    by_id = {n["node_id"]: n for n in exported["nodes"]}
    assert by_id["a"]["translations"] == {"en": {"title": "Payment", "text": None}}
    assert by_id["b"]["translations"] == {"en": {"title": None, "text": "At once."}}
    assert by_id["c"].get("translations") is None
    # WHEN the export is imported over an emptied tree
    assert admin.call("DELETE", "/trees/faq/nodes/a?cascade=true")[0] == 200
    assert admin.call("DELETE", "/trees/faq/nodes/c")[0] == 200
    status, body = admin.call("POST", "/trees/faq/import", {"nodes": exported["nodes"], "replace": True})
    assert status == 200, body
    # THEN the bot shows the translations again
    english = ContentStore(ttl=0).tree("faq", "en")
    assert (english.get("a").title, english.get("b").title, english.get("b").text) == (
        "Payment",
        "Когда?",
        "At once.",
    )
    # AND an import with a bad translation names it, and writes nothing
    bad = [{"node_id": "d", "title": "D", "translations": {"en": {"text": "<i>"}}}]
    status, body = admin.call("POST", "/trees/faq/import", {"nodes": bad})
    assert status == 400, body
    assert body["detail"][0]["loc"] == ["body", "nodes", 0, "translations", "en", "text"]
    assert "d" not in {n["node_id"] for n in admin.call("GET", "/trees/faq/export")[1]["nodes"]}


def test_the_document_offers_translations_in_the_other_languages_only(admin):
    # The default language is the node's own title and text: the document leaves it out of every
    # body's translations, so what it calls valid the API takes
    document = admin.call("GET", "/openapi.json", key=None)[1]
    schemas = document["components"]["schemas"]
    for name in ("FaqCreate", "ComplaintUpdate", "CannedFields"):
        (offered,) = [
            option["propertyNames"]["enum"]
            for option in schemas[name]["properties"]["translations"]["anyOf"]
            if "propertyNames" in option
        ]
        assert offered == ["en"], name

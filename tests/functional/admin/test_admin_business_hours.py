"""Business hours through the admin API: GET|PUT /v1/admin/settings/business-hours, {} = always
open, bad schedules refused 422 naming the field, nothing stored by a refusal."""

from __future__ import annotations

import pytest

PATH = "/settings/business-hours"
WEEK = {"mon": [["09:00", "18:00"]], "fri": [["22:00", "02:00"], ["09:00", "13:00"]]}


def test_nothing_saved_means_always_open_and_a_schedule_comes_back_as_saved(admin):
    # GIVEN nothing saved: always open, shown as {}
    assert admin.call("GET", PATH) == (200, {})
    # WHEN an admin saves a week with a range across midnight and a holiday
    status, saved = admin.call("PUT", PATH, {"week": WEEK, "holidays": ["2026-12-31", "2026-01-01"]})
    # THEN it comes back with each day's ranges in order and the holidays sorted, and GET agrees
    expected = {
        "week": {"mon": [["09:00", "18:00"]], "fri": [["09:00", "13:00"], ["22:00", "02:00"]]},
        "holidays": ["2026-01-01", "2026-12-31"],
    }
    assert (status, saved) == (200, expected)
    assert admin.call("GET", PATH) == (200, expected)
    # AND {} makes it always open again (not a week with no days: that is always closed)
    assert admin.call("PUT", PATH, {}) == (200, {})
    assert admin.call("GET", PATH) == (200, {})
    assert admin.call("PUT", PATH, {"week": {}}) == (200, {"week": {}, "holidays": []})


@pytest.mark.parametrize(
    ("body", "loc", "expected"),
    [
        ({"week": {"monday": [["09:00", "18:00"]]}}, ["body", "week", "monday"], 422),
        ({"week": {"mon": [["9:00", "18:00"]]}}, ["body", "week", "mon", 0, 0], 422),
        ({"week": {"mon": [["09:00", "25:00"]]}}, ["body", "week", "mon", 0, 1], 422),
        ({"week": {"mon": [["09:00"]]}}, ["body", "week", "mon", 0], 422),
        # Valid by the document, against rules it cannot state: 400, named the same way
        ({"week": {"mon": [["09:00", "09:00"]]}}, ["body", "week", "mon", 0], 400),
        ({"week": {"mon": [["24:00", "02:00"]]}}, ["body", "week", "mon", 0, 0], 400),
        ({"week": {"mon": "09:00-18:00"}}, ["body", "week", "mon"], 422),
        ({"holidays": ["2026-02-30"]}, ["body", "holidays", 0], 400),
        ({"holidays": ["31.12.2026"]}, ["body", "holidays", 0], 422),
        ({"holidays": "2026-12-31"}, ["body", "holidays"], 422),
        ({"weekdays": {}}, ["body", "weekdays"], 422),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field_and_nothing_changes(admin, body, loc, expected):
    assert admin.call("PUT", PATH, {"week": WEEK})[0] == 200
    status, answer = admin.call("PUT", PATH, body)
    assert status == expected, answer
    assert [problem["loc"][: len(loc)] for problem in answer["detail"]][:1] == [loc], answer
    assert admin.call("GET", PATH)[1]["week"]["mon"] == [["09:00", "18:00"]]


def test_not_json_is_refused_and_an_operator_may_not_change_the_hours(admin):
    status, answer = admin.call("PUT", PATH, "{not json")
    assert status in (400, 422), answer
    operator = admin.call("POST", "/operators", {"name": "Olga", "role": "operator"})[1]
    assert admin.call("PUT", PATH, {}, key=operator["key"]) == (403, {"detail": "needs role admin"})
    assert admin.call("GET", PATH, key=operator["key"])[0] == 403


def test_the_route_is_in_the_openapi_document(admin):
    document = admin.call("GET", "/openapi.json", key=None)[1]
    operations = document["paths"]["/v1/admin/settings/business-hours"]
    assert set(operations) >= {"get", "put"}
    assert operations["put"]["x-required-role"] == "admin"
    assert "422" in operations["put"]["responses"]

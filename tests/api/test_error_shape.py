"""Issue 10, task 6: one error shape everywhere.  Malformed input is ``{"detail": sentence,
"errors": [{"field", "message"}]}`` like every other refusal has a sentence in ``detail``;
the import keeps its list of bad lines."""

from __future__ import annotations

from tests.api.conftest import Api

WEEK = [{"arrive": "08:00", "leave": "16:00"}] * 5 + [None, None]


def test_malformed_input_is_a_sentence_with_errors_a_form_can_place(api: Api) -> None:
    bad_day = [*WEEK[:2], {"arrive": "08:00", "leave": "sixteen"}, *WEEK[3:]]
    r = api.client.post(
        "/guardian/children/c-alva/schedules",
        json={"valid_from": "2026-04-01", "weeks": [bad_day], "colour": "red"},
        headers=api.guardian(),
    )
    assert r.status_code == 422
    body = r.json()
    assert isinstance(body["detail"], str)
    assert body["detail"].startswith("invalid input: ") and body["detail"].endswith("nothing was changed")
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert "weeks.0.2.leave" in fields and "colour" in fields, fields
    assert "weeks.0.2.leave" in body["detail"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])


def test_a_bad_query_parameter_is_named_by_its_name(api: Api) -> None:
    r = api.client.get("/admin/reports/hours?year=twenty&month=3", headers=api.admin())
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["year"]
    assert isinstance(r.json()["detail"], str)


def test_a_body_that_is_not_json_says_so(api: Api) -> None:
    r = api.client.post(
        "/guardian/children/c-alva/leave",
        content=b"{not json",
        headers={**api.guardian(), "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and r.json()["errors"][0]["field"]


def test_the_import_keeps_its_lines(api: Api) -> None:
    r = api.client.post("/admin/import", json={"csv": "no separator here\n"}, headers=api.admin())
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)
    assert r.json()["errors"][0].startswith("line 1:")


def test_the_schema_documents_the_shape(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["ErrorOut"]["properties"]["detail"] == {"type": "string", "title": "Detail"}
    assert set(schema["FieldError"]["required"]) == {"field", "message"}

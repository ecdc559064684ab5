"""Which item changes are which domain events, and that no contact data leaves the system."""

from grading.events import events_for


def app(status: str, history: int = 1) -> dict:
    return {
        "type": "application",
        "application_id": "A1",
        "credit_code": "91350100M000100Y43",
        "status": status,
        "provider": {"category": "it", "contact": {"phone": "13800000000", "email": "a@b.cn"}},
        "history": [{"actor": "r1"}] * history,
        "updated_at": "2026-01-01T00:00:00Z",
    }


def test_insert_is_submitted_and_review_is_reviewed() -> None:
    [submitted] = events_for(None, app("submitted"))
    assert submitted.detail_type == "ApplicationSubmitted" and submitted.detail["resubmitted"] is False
    [reviewed] = events_for(app("submitted"), app("returned", 2))
    assert reviewed.detail["decision"] == "return" and reviewed.detail["event_id"] == "A1:2"
    [again] = events_for(app("returned", 2), app("submitted", 3))
    assert again.detail["resubmitted"] is True


def test_unchanged_status_and_other_items_emit_nothing() -> None:
    assert events_for(app("submitted"), app("submitted")) == []
    assert events_for(None, {"type": "audit"}) == []
    assert events_for(app("submitted"), None) == []


def test_detail_carries_no_contact_data() -> None:
    [event] = events_for(None, app("submitted"))
    text = event.entry("default")["Detail"]
    assert "13800000000" not in text and "a@b.cn" not in text


def objection(status: str) -> dict:
    return {
        "type": "objection",
        "objection_id": "O1",
        "notice_id": "N1",
        "application_id": "A1",
        "credit_code": "91350100M000100Y43",
        "reason": "案例造假",
        "filed_by": "someone",
        "filed_at": "2026-01-02T00:00:00Z",
        "status": status,
    }


def test_a_filed_objection_is_new_work_for_reviewers() -> None:
    [filed] = events_for(None, objection("open"))
    assert filed.detail_type == "ObjectionFiled"
    assert filed.detail == {
        "objection_id": "O1",
        "notice_id": "N1",
        "application_id": "A1",
        "credit_code": "91350100M000100Y43",
        "at": "2026-01-02T00:00:00Z",
        "event_id": "objection:O1:filed",
    }
    assert "案例造假" not in filed.entry("default")["Detail"]  # the notifier reads the reason from the item
    [resolved] = events_for(objection("open"), objection("dismissed"))
    assert resolved.detail_type == "ObjectionResolved"
    assert events_for(objection("open"), objection("open")) == []


def order(status: str, reports: int) -> dict:
    return {
        "type": "rectification",
        "rectification_id": "R1",
        "credit_code": "91350100M000100Y43",
        "period": "2026-Q2",
        "deadline": "2026-08-15",
        "status": status,
        "reports": [{"at": f"2026-08-0{i + 1}T00:00:00Z", "report": "已整改"} for i in range(reports)],
    }


def test_each_rectification_report_is_new_work_for_reviewers() -> None:
    [reported] = events_for(order("open", 0), order("reported", 1))
    assert reported.detail_type == "RectificationReported"
    assert reported.detail == {
        "rectification_id": "R1",
        "credit_code": "91350100M000100Y43",
        "period": "2026-Q2",
        "deadline": "2026-08-15",
        "at": "2026-08-01T00:00:00Z",
        "event_id": "rectification:R1:reported:1",
    }
    [again] = events_for(order("rejected", 1), order("reported", 2))  # reported again after a rejection
    assert again.detail["event_id"] == "rectification:R1:reported:2"
    assert events_for(None, order("open", 0)) == []
    assert events_for(order("reported", 1), order("accepted", 1)) == []
    assert events_for(order("reported", 1), order("reported", 1)) == []


def _valid(event_type: str, detail: dict) -> None:
    import json
    from pathlib import Path

    import jsonschema

    path = Path(__file__).resolve().parents[2] / "schemas" / "events" / f"{event_type}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(detail, schema, format_checker=jsonschema.FormatChecker())


def test_a_lapse_is_application_lapsed_with_the_deadline_that_passed() -> None:
    before = {**app("returned", 2), "return_deadline": "2026-09-29"}
    after = {**app("lapsed", 3), "return_deadline": "2026-09-29"}
    [lapsed] = events_for(before, after)
    assert lapsed.detail_type == "ApplicationLapsed"
    assert lapsed.detail == {
        "application_id": "A1",
        "credit_code": "91350100M000100Y43",
        "category": "it",
        "status": "lapsed",
        "at": "2026-01-01T00:00:00Z",
        "event_id": "A1:3",
        "return_deadline": "2026-09-29",
    }
    _valid("ApplicationLapsed", lapsed.detail)


def test_a_withdrawal_is_application_withdrawn_by_its_actor_from_any_status_before_the_decision() -> None:
    for status in ("submitted", "returned", "evaluating"):
        withdrawn = {**app("withdrawn", 4), "history": [{"actor": "r1"}] * 3 + [{"actor": "owner-1"}]}
        [event] = events_for(app(status, 3), withdrawn)
        assert event.detail_type == "ApplicationWithdrawn"
        assert event.detail["withdrawn_by"] == "owner-1" and event.detail["event_id"] == "A1:4"
        assert event.detail["status"] == "withdrawn"
        _valid("ApplicationWithdrawn", event.detail)

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

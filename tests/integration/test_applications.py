"""ApplicationsFunction against the moto backend: submission, documents, initial review, and their refusals."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from grading import applications, dal
from grading.audit import verify_chain
from grading.credit_code import check_character
from grading.errors import Conflict
from grading.identity import Caller, Role
from grading.models import ApplicationIn
from local.backend import LocalBackend
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    EXPERT,
    OTHER_PROVIDER,
    PNG,
    PROVIDER,
    REVIEWER,
    Api,
    add_document,
    application_body,
    submit,
)


def audit_count() -> int:
    return len(dal.audit_entries(CREDIT_CODE))


# --- submission ---------------------------------------------------------------------------------------------


def test_submit_then_read_back_with_history(api: Api) -> None:
    app_id = submit(api)
    owner_view = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER)
    assert owner_view.status == 200
    assert owner_view.body["status"] == "submitted"
    assert owner_view.body["credit_code"] == CREDIT_CODE
    assert [h["action"] for h in owner_view.body["history"]] == ["submit"]
    assert owner_view.body["grade"] is None and owner_view.body["total"] is None
    assert api.call("GET", f"/v1/applications/{app_id}", who=REVIEWER).status == 200
    assert api.call("GET", f"/v1/applications/{app_id}", who=ADMIN).status == 200


def test_others_cannot_see_an_application(api: Api) -> None:
    app_id = submit(api)
    for who in (OTHER_PROVIDER, EXPERT):
        reply = api.call("GET", f"/v1/applications/{app_id}", who=who)
        assert reply.status == 404 and reply.body["error"]["code"] == "NOT_FOUND"
    assert api.call("GET", f"/v1/applications/{app_id}").status == 401


def test_only_providers_may_apply(api: Api) -> None:
    reply = api.call("POST", "/v1/applications", application_body(), who=REVIEWER)
    assert reply.status == 403 and reply.body["error"]["code"] == "FORBIDDEN"


def test_bad_fields_are_each_named(api: Api) -> None:
    body = application_body(credit_code="91350100M000100Y44")
    body["provider"]["contact"]["email"] = "not-an-email"
    body["provider"]["unexpected"] = 1
    body["service_cases"][0]["year"] = 1800
    reply = api.call("POST", "/v1/applications", body, who=PROVIDER)
    assert reply.status == 422
    fields = {d["field"] for d in reply.body["error"]["details"]}
    assert {"provider.credit_code", "provider.contact.email", "provider.unexpected", "service_cases.0.year"} <= fields
    check = next(d for d in reply.body["error"]["details"] if d["field"] == "provider.credit_code")
    assert "expected 3" in check["message"]


def test_malformed_json_and_unknown_routes_keep_the_error_shape(api: Api) -> None:
    reply = api.call("POST", "/v1/applications", raw="{not json", who=PROVIDER)
    assert reply.status == 400 and reply.body["error"]["code"] == "MALFORMED_JSON"
    reply = api.call("GET", "/v1/nothing-here", who=PROVIDER)
    assert reply.status == 404 and set(reply.body["error"]) == {"code", "message", "details"}


def test_qualifications_must_stay_valid_thirty_days(api: Api) -> None:
    reply = api.call("POST", "/v1/applications", application_body(valid_days=10), who=PROVIDER)
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["field"] == "qualifications.0.valid_until"
    assert dal.get_provider(CREDIT_CODE) is None  # nothing half-written


def test_one_active_application_per_credit_code(api: Api) -> None:
    first = submit(api)
    reply = api.call("POST", "/v1/applications", application_body(), who=OTHER_PROVIDER)
    assert reply.status == 409 and reply.body["error"]["code"] == "DUPLICATE_APPLICATION"
    assert first in reply.body["error"]["message"]


def test_concurrent_applications_exactly_one_wins() -> None:
    body = ApplicationIn.model_validate(application_body())
    for round_ in range(5):
        code = "91350100M00010" + f"{round_:03d}"
        code += check_character(code)
        variant = body.model_copy(update={"provider": body.provider.model_copy(update={"credit_code": code})})
        outcomes: list[str] = []

        def attempt(i: int, variant: ApplicationIn = variant, outcomes: list[str] = outcomes) -> None:
            who = Caller(sub=f"p{i}", roles=frozenset({Role.PROVIDER}))
            try:
                applications.submit(who, variant, datetime.now(UTC))
                outcomes.append("won")
            except Conflict as lost:
                outcomes.append(lost.code)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes.count("won") == 1, outcomes
        assert set(outcomes) <= {"won", "DUPLICATE_APPLICATION", "CONCURRENT_CHANGE"}
        assert len(dal.audit_entries(code)) == 1


def test_idempotency_key_replays_the_first_answer(api: Api) -> None:
    headers = {"Idempotency-Key": "req-123"}
    first = api.call("POST", "/v1/applications", application_body(), who=PROVIDER, headers=headers)
    again = api.call("POST", "/v1/applications", application_body(), who=PROVIDER, headers=headers)
    assert first.status == again.status == 201
    assert first.body == again.body
    assert audit_count() == 1
    changed = application_body()
    changed["provider"]["name"] = "另一家公司"
    reused = api.call("POST", "/v1/applications", changed, who=PROVIDER, headers=headers)
    assert reused.status == 422 and reused.body["error"]["details"][0]["field"] == "Idempotency-Key"


def test_banned_provider_is_refused_until_the_ban_ends(api: Api) -> None:
    app_id = submit(api)
    assert (
        api.call(
            "POST", f"/v1/applications/{app_id}/review", {"decision": "reject", "reasons": ["x"]}, who=REVIEWER
        ).status
        == 200
    )
    boto3.client("dynamodb").update_item(
        TableName=dal.table_name(),
        Key={"PK": {"S": f"PROVIDER#{CREDIT_CODE}"}, "SK": {"S": "PROFILE"}},
        UpdateExpression="SET banned_until = :d",
        ExpressionAttributeValues={":d": {"S": "2099-01-01"}},
    )
    reply = api.call("POST", "/v1/applications", application_body(), who=PROVIDER)
    assert reply.status == 409 and reply.body["error"]["code"] == "PROVIDER_BANNED"
    assert "2099-01-01" in reply.body["error"]["message"]


# --- documents and review ------------------------------------------------------------------------------------


def test_pass_needs_the_documents_really_in_the_bucket(api: Api) -> None:
    app_id = submit(api)
    before = audit_count()
    reply = api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER)
    assert reply.status == 409 and reply.body["error"]["code"] == "CHECKS_FAILED"
    missing = {d["field"] for d in reply.body["error"]["details"]}
    assert missing == {"documents.business_license", "documents.qualification_certificate"}
    # A ticket alone is not a document: nothing was uploaded with it.
    ticket = api.call(
        "POST",
        f"/v1/applications/{app_id}/documents",
        {"kind": "business_license", "filename": "l.pdf", "content_type": "application/pdf", "size": 10},
        who=PROVIDER,
    )
    assert ticket.status == 201
    assert api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER).status == 409
    assert audit_count() == before  # refusals write nothing
    assert api.call("GET", f"/v1/applications/{app_id}", who=REVIEWER).body["status"] == "submitted"

    add_document(api, app_id, "business_license")
    add_document(api, app_id, "qualification_certificate")
    passed = api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER)
    assert passed.status == 200, passed.body
    assert passed.body["status"] == "evaluating"
    assert len(passed.body["documents"]) == 3


def test_stored_objects_are_checked_again(api: Api) -> None:
    app_id = submit(api)
    # moto does not enforce the form's conditions, so a wrong file reaches the bucket; the review must see it.
    add_document(api, app_id, "business_license", content=PNG, content_type="application/pdf")
    big = b"%PDF-" + b"x" * (10 * 1024 * 1024 + 1)
    add_document(api, app_id, "qualification_certificate", content=big, declared=1000)  # a liar
    reply = api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER)
    assert reply.status == 409
    messages = " ".join(d["message"] for d in reply.body["error"]["details"])
    assert "is not a application/pdf file" in messages and "more than the" in messages


def test_upload_requests_are_limited(api: Api) -> None:
    app_id = submit(api)
    path = f"/v1/applications/{app_id}/documents"
    too_big = {"kind": "business_license", "filename": "a.pdf", "content_type": "application/pdf", "size": 20_000_000}
    assert api.call("POST", path, too_big, who=PROVIDER).status == 422
    exe = {"kind": "business_license", "filename": "a.exe", "content_type": "application/x-msdownload", "size": 10}
    assert api.call("POST", path, exe, who=PROVIDER).status == 422
    sneaky = {"kind": "business_license", "filename": "../../etc/passwd", "content_type": "application/pdf", "size": 10}
    reply = api.call("POST", path, sneaky, who=PROVIDER)
    assert reply.status == 201 and ".." not in reply.body["key"]
    assert reply.body["key"].startswith(f"applications/{app_id}/")
    other = api.call("POST", path, {**sneaky, "filename": "a.pdf"}, who=OTHER_PROVIDER)
    assert other.status == 404


def test_return_resubmit_and_pass(api: Api) -> None:
    app_id = submit(api)
    review = f"/v1/applications/{app_id}/review"
    assert api.call("POST", review, {"decision": "return"}, who=REVIEWER).status == 422  # reasons required
    returned = api.call("POST", review, {"decision": "return", "reasons": ["营业执照不清晰"]}, who=REVIEWER)
    assert returned.status == 200 and returned.body["status"] == "returned"
    assert returned.body["return_deadline"]
    assert api.call("POST", review, {"decision": "pass"}, who=REVIEWER).status == 409
    add_document(api, app_id, "business_license")
    add_document(api, app_id, "qualification_certificate")
    resubmitted = api.call("POST", f"/v1/applications/{app_id}/resubmit", {"note": "已补正"}, who=PROVIDER)
    assert resubmitted.status == 200 and resubmitted.body["status"] == "submitted"
    again = api.call("POST", f"/v1/applications/{app_id}/resubmit", {}, who=PROVIDER)
    assert again.status == 409 and again.body["error"]["code"] == "INVALID_STATE"
    assert api.call("POST", review, {"decision": "pass"}, who=REVIEWER).body["status"] == "evaluating"
    actions = [h["action"] for h in api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body["history"]]
    assert actions == ["submit", "return", "resubmit", "pass"]


def test_a_review_takes_three_round_trips_with_the_stored_review_settings(api: Api, backend: LocalBackend) -> None:
    """Issue 8: the review and calendar settings a default 补正 deadline counts by, and the review settings a pass
    (or a resubmission's certificates) is checked against, come in the BatchGet of the provider: Query, BatchGet,
    TransactWrite, with the stored versions recorded."""
    app_id = submit(api)
    doc = api.call("GET", "/v1/settings/review", who=ADMIN).body
    saved = {**doc, "return_deadline_days": 60, "qualification_min_days": 500}
    assert api.call("PUT", "/v1/settings/review", saved, who=ADMIN).body["version"] == 1
    review = f"/v1/applications/{app_id}/review"

    def dynamodb() -> list[str]:
        return [op for service, op in backend.request_log if service == "dynamodb"]

    backend.reset_counts()
    returned = api.call("POST", review, {"decision": "return", "reasons": ["补正"]}, who=REVIEWER)
    assert returned.status == 200, returned.body
    assert dynamodb() == ["Query", "BatchGetItem", "TransactWriteItems"]
    assert date.fromisoformat(returned.body["return_deadline"]) >= date.today() + timedelta(days=59)  # 60, not 15
    last = returned.body["history"][-1]
    assert (last["settings"], last["calendar"]) == ("review@1", "calendar@0")
    audit = dal.audit_entries(CREDIT_CODE)[-1].fields["data"]
    assert (audit["deadline"], audit["settings"], audit["calendar"]) == (
        returned.body["return_deadline"],
        "review@1",
        "calendar@0",
    )

    resubmit = f"/v1/applications/{app_id}/resubmit"
    short = {"qualifications": application_body(valid_days=400)["qualifications"]}
    backend.reset_counts()
    refused = api.call("POST", resubmit, short, who=PROVIDER)  # 400 days < the stored 500
    assert refused.status == 422 and "500" in refused.body["error"]["details"][0]["message"], refused.body
    assert dynamodb() == ["Query", "BatchGetItem"]
    backend.reset_counts()
    long = {"qualifications": application_body(valid_days=800)["qualifications"]}
    assert api.call("POST", resubmit, long, who=PROVIDER).status == 200
    assert dynamodb() == ["Query", "BatchGetItem", "TransactWriteItems"]

    add_document(api, app_id, "business_license")
    add_document(api, app_id, "qualification_certificate")
    backend.reset_counts()
    passed = api.call("POST", review, {"decision": "pass"}, who=REVIEWER)
    assert passed.status == 200 and passed.body["status"] == "evaluating", passed.body
    assert dynamodb() == ["Query", "BatchGetItem", "TransactWriteItems"]
    assert passed.body["history"][-1]["settings"] is None  # only a return's deadline records settings versions


def test_only_reviewers_review(api: Api) -> None:
    app_id = submit(api)
    for who in (PROVIDER, EXPERT, ADMIN):
        reply = api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "reject", "reasons": ["x"]}, who=who)
        assert reply.status == 403 and reply.body["error"]["code"] == "FORBIDDEN", reply.body  # API.md: wrong group


def test_reject_frees_the_credit_code_and_the_chain_verifies(api: Api) -> None:
    first = submit(api)
    rejected = api.call(
        "POST", f"/v1/applications/{first}/review", {"decision": "reject", "reasons": ["资质不符"]}, who=REVIEWER
    )
    assert rejected.body["status"] == "rejected"
    second = submit(api)
    assert second != first
    entries = dal.audit_entries(CREDIT_CODE)
    assert [e.fields["action"] for e in entries] == [
        "application.submitted",
        "application.reject",
        "application.submitted",
    ]
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None
    assert verify_chain(entries, head_hash=provider["audit_head"]) == []


def test_reviewer_lists_by_status_with_pages(api: Api) -> None:
    ids = []
    for i in range(5):
        code = f"9135010000000{i:04d}"
        code += check_character(code)
        ids.append(submit(api, application_body(credit_code=code)))
    seen: list[str] = []
    token = None
    while True:
        query = {"status": "submitted", "limit": "2", **({"next_token": token} if token else {})}
        page = api.call("GET", "/v1/applications", who=REVIEWER, query=query)
        assert page.status == 200
        seen.extend(item["application_id"] for item in page.body["items"])
        token = page.body["next_token"]
        if not token:
            break
    assert sorted(seen) == sorted(ids) and seen == sorted(seen, reverse=True)  # newest first
    assert api.call("GET", "/v1/applications", who=PROVIDER, query={"status": "submitted"}).status == 403
    assert api.call("GET", "/v1/applications", who=REVIEWER, query={"status": "nope"}).status == 422
    bad = api.call("GET", "/v1/applications", who=REVIEWER, query={"status": "returned", "next_token": "eyJ4IjoxfQ"})
    assert bad.status == 422 and bad.body["error"]["details"][0]["field"] == "next_token"
    mine = api.call("GET", "/v1/me/applications", who=PROVIDER)
    assert [i["application_id"] for i in mine.body["items"]] == sorted(ids, reverse=True)
    assert api.call("GET", "/v1/me/applications", who=OTHER_PROVIDER).body["items"] == []


def test_an_idempotent_submission_takes_two_round_trips_and_a_lost_race_replays(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key's record is read with the provider and written with the application: a retry racing the first
    request loses the transaction on the record, reads it, and answers what the first one answered."""
    who = Caller("provider-user", frozenset({Role.PROVIDER}))
    body = ApplicationIn.model_validate(application_body())
    calls: list[str] = []
    real_commit, real_read = dal.commit, dal.get_submission_context_and
    monkeypatch.setattr(dal, "commit", lambda change: (calls.append("commit"), real_commit(change))[1])
    monkeypatch.setattr(dal, "get_submission_context_and", lambda *a: (calls.append("read"), real_read(*a))[1])
    first, replayed = applications.submit_once(who, body, datetime.now(UTC), "race-1")
    assert calls == ["read", "commit"] and not replayed

    # The retry reads before the first commits (so it sees no record) and commits after it: it must replay.
    _, _, scheme, _ = real_read(CREDIT_CODE, None)
    reads = iter([(None, None, scheme, None)])  # what it read before the first request's transaction
    monkeypatch.setattr(dal, "get_submission_context_and", lambda *a: next(reads, None) or real_read(*a))
    again, replayed = applications.submit_once(who, body, datetime.now(UTC), "race-1")
    assert replayed and again == first
    assert audit_count() == 1

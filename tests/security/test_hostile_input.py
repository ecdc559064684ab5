"""Hand-written hostile input: oversized bodies and fields, wrong types, unicode edge cases, markup and script in text
fields (escaped in the notice page, printed as text in the certificate PDF), path traversal in file names, negative,
NaN and infinite scores, impossible periods, and bodies that are not JSON at all.

Every refusal is a 4xx in the contract's error shape and leaves the table and the bucket as they were.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, timedelta
from typing import Any

import pytest

from local.backend import LocalBackend
from tests.integration.conftest import ADMIN, CREDIT_CODE, PROVIDER, REVIEWER, Api, application_body, upload
from tests.security.conftest import (
    CRITERIA,
    NON_UTF8_BODY_BUG,
    PERIOD,
    UNSUPPORTED_MEDIA_TYPE_BUG,
    Answer,
    World,
    call,
    error_shape_problem,
    fresh,
    indicators,
    render_artifacts,
    score_all,
    snapshot,
    sweep,
)

MB = 1024 * 1024
SCRIPT = '<script>alert("x")</script>'
ATTR = "\"'><img src=x onerror=alert(1)>"
HOSTILE = f"{SCRIPT}{ATTR}&amp;"  # 63 characters of markup, a quoted attribute break-out and an entity


def refused(answer: Answer, *statuses: int) -> dict[str, Any]:
    assert answer.status in statuses, f"expected {statuses}, got {answer.status}: {answer.text[:300]}"
    problem = error_shape_problem(answer)
    assert problem is None, problem
    return dict(answer.json["error"])


def fields_of(error: dict[str, Any]) -> set[str]:
    return {d["field"] for d in error["details"]}


# --- size -------------------------------------------------------------------------------------------------------------


def test_a_one_megabyte_field_is_refused_and_nothing_is_written(api: Api) -> None:
    body = application_body()
    body["service_cases"][0]["description"] = "案" * MB
    before = snapshot()
    error = refused(call(api, "POST", "/v1/applications", body, who=PROVIDER), 422)
    assert "service_cases.0.description" in fields_of(error)
    assert snapshot() == before


def test_a_one_megabyte_body_of_many_items_is_refused(api: Api) -> None:
    body = application_body()
    body["service_cases"] = [{"client": "客户" * 50, "description": "x" * 1900, "year": 2025}] * 520  # ~1 MB
    assert len(json.dumps(body)) > MB
    before = snapshot()
    assert "service_cases" in fields_of(refused(call(api, "POST", "/v1/applications", body, who=PROVIDER), 422))
    assert snapshot() == before


def test_a_one_megabyte_body_that_is_not_json_is_refused(api: Api) -> None:
    error = refused(call(api, "POST", "/v1/applications", raw="{" * MB, who=PROVIDER), 400, 422)
    assert error["code"] in ("MALFORMED_JSON", "VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("provider", "name"), "名" * 201, "provider.name"),
        (("provider", "category"), "c" * 65, "provider.category"),
        (("provider", "contact", "email"), "a" * 65 + "@example.cn", "provider.contact.email"),
        (("provider", "contact", "phone"), "1" * 30, "provider.contact.phone"),
        (("qualifications", 0, "number"), "N" * 101, "qualifications.0.number"),
    ],
)
def test_a_field_one_past_its_limit_is_named(api: Api, path: tuple[Any, ...], value: str, field: str) -> None:
    body: Any = application_body()
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert field in fields_of(refused(call(api, "POST", "/v1/applications", body, who=PROVIDER), 422))


def test_an_oversized_idempotency_key_is_refused(api: Api) -> None:
    headers = {"Idempotency-Key": "k" * 129}
    answer = call(api, "POST", "/v1/applications", application_body(), who=PROVIDER, headers=headers)
    assert any("idempotency" in f.lower() for f in fields_of(refused(answer, 422)))


# --- types ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(provider=[]), "provider"),
        (lambda b: b.update(qualifications="ISO 9001"), "qualifications"),
        (lambda b: b["provider"].update(credit_code=91350100), "provider.credit_code"),
        (lambda b: b["service_cases"][0].update(year={"y": 2025}), "service_cases.0.year"),
        (lambda b: b["qualifications"][0].update(valid_until="next year"), "qualifications.0.valid_until"),
        (lambda b: b["provider"].update(contact=None), "provider.contact"),
        (lambda b: b.update(extra_field=True), "extra_field"),
    ],
    ids=["object-as-list", "list-as-string", "string-as-number", "int-as-object", "date-as-words", "null", "extra"],
)
def test_wrong_types_are_422_naming_the_field(api: Api, change: Any, field: str) -> None:
    body = application_body()
    change(body)
    assert field in fields_of(refused(call(api, "POST", "/v1/applications", body, who=PROVIDER), 422))


@pytest.mark.parametrize(
    "raw", ["[]", '"text"', "null", "42", '{"provider": '], ids=["list", "str", "null", "int", "cut"]
)
def test_a_body_that_is_not_an_object_is_refused(api: Api, raw: str) -> None:
    refused(call(api, "POST", "/v1/applications", raw=raw, who=PROVIDER), 400, 422)


@pytest.mark.xfail(UNSUPPORTED_MEDIA_TYPE_BUG, strict=True, reason="BUG: non-JSON Content-Type -> 500 INTERNAL")
@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", "application/xml"])
def test_a_body_that_is_not_json_is_refused_in_shape(api: Api, content_type: str) -> None:
    """BUG while UNSUPPORTED_MEDIA_TYPE_BUG: POST /v1/experts with `Content-Type: text/plain` (or multipart/form-data
    without a boundary) and a JSON body answers 500 INTERNAL; expected a 4xx (415 or 400) in the error shape."""
    body = json.dumps({"expert_id": "e-1", "name": "专家", "specialties": ["it_services"]})
    answer = call(api, "POST", "/v1/experts", raw=body, who=ADMIN, headers={"Content-Type": content_type})
    refused(answer, 400, 415, 422)


@pytest.mark.xfail(NON_UTF8_BODY_BUG, strict=True, reason="BUG: a JSON body that is not UTF-8 -> 500 INTERNAL")
def test_a_body_that_is_not_utf8_is_refused_in_shape(api: Api) -> None:
    """BUG while NON_UTF8_BODY_BUG: POST /v1/experts with body b'{"name": "\\xf6"}' (Content-Type application/json)
    answers 500 INTERNAL (UnicodeDecodeError); expected 400 MALFORMED_JSON."""
    refused(call(api, "POST", "/v1/experts", raw=b'{"name": "\xf6"}', who=ADMIN), 400, 422)


# --- unicode ----------------------------------------------------------------------------------------------------------

RTL_OVERRIDE, ZWSP, ZWJ = "\u202e", "\u200b", "\u200d"
FAMILY = f"👨{ZWJ}👩{ZWJ}👧"
UNICODE_NAMES = [
    f"福州{RTL_OVERRIDE}司公限有{ZWSP}",  # a bidi override that would reverse what a reader sees
    f"云服务{ZWSP}{ZWJ}有限公司",  # zero-width characters
    f"表情🚀{FAMILY}🇨🇳👍🏽有限公司",  # emoji: ZWJ sequence, flag, skin tone
    "ＡＢＣ\u0301科技\ufeff",  # full-width letters, a combining accent, a BOM inside
    "𠀀𪚥有限公司",  # characters outside the Basic Multilingual Plane
]


@pytest.mark.parametrize("name", UNICODE_NAMES, ids=["rtl", "zero-width", "emoji", "combining", "astral"])
def test_unicode_names_round_trip_and_print(api: Api, name: str) -> None:
    """Accepted as given (they are printable), returned unchanged, and printed on the certificate without its
    invisible characters (clean_text drops bidi and zero-width controls)."""
    from grading.render.certificate import clean_text

    body = application_body()
    body["provider"]["name"] = name
    created = call(api, "POST", "/v1/applications", body, who=PROVIDER)
    assert created.status == 201, created.text
    got = call(api, "GET", f"/v1/applications/{created.json['application_id']}", who=PROVIDER)
    assert got.status == 200 and got.json["provider"]["name"] == name.strip()
    printed = clean_text(name)
    assert RTL_OVERRIDE not in printed and ZWSP not in printed and "\ufeff" not in printed


@pytest.mark.parametrize("bad", ["\u0000", "\u0007", "a\u001bb", "\u0085"], ids=["nul", "bell", "escape", "nel"])
def test_control_characters_are_refused(api: Api, bad: str) -> None:
    body = application_body()
    body["provider"]["name"] = f"公{bad}司"  # inside: leading/trailing whitespace (NEL too) is only stripped
    assert "provider.name" in fields_of(refused(call(api, "POST", "/v1/applications", body, who=PROVIDER), 422))


# --- markup and script ------------------------------------------------------------------------------------------------


def _hostile_world(api: Api) -> World:
    """An application whose every text field carries markup, through panel, decision and the public notice."""
    category = f"<b>{SCRIPT[:20]}</b>"[:64]
    for i in range(6):
        expert = {"expert_id": f"expert-x-{i}", "name": f"{SCRIPT}{i}", "specialties": [category]}
        assert call(api, "POST", "/v1/experts", expert, who=ADMIN).status == 201
    body = application_body()
    body["provider"].update(name=HOSTILE, category=category, region=ATTR)
    body["provider"]["contact"]["name"] = SCRIPT
    body["qualifications"][0].update(type=SCRIPT, issuer=ATTR, number="Q-<i>1</i>")
    body["service_cases"][0].update(client=SCRIPT, description=HOSTILE * 10)
    created = call(api, "POST", "/v1/applications", body, who=PROVIDER)
    assert created.status == 201, created.text
    world = World("hostile", application_id=created.json["application_id"])
    from tests.integration.conftest import add_document

    add_document(api, world.application_id, "business_license")
    add_document(api, world.application_id, "qualification_certificate")
    review = {"decision": "pass", "reasons": [SCRIPT]}
    assert call(api, "POST", f"/v1/applications/{world.application_id}/review", review, who=REVIEWER).status == 200
    drawn = call(api, "POST", f"/v1/applications/{world.application_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.text
    score_all(api, world, drawn.json["panel"])
    decided = call(api, "POST", f"/v1/applications/{world.application_id}/decision", who=ADMIN)
    assert decided.status == 200, decided.text
    world.notice_id = decided.json["notice_id"]
    render_artifacts()
    return world


def test_markup_is_escaped_in_the_notice_page(api: Api) -> None:
    world = _hostile_world(api)
    page = call(api, "GET", f"/v1/notices/{world.notice_id}/html")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.text
    assert "<script" not in html.lower() and "<img" not in html.lower()  # no tag from the input survives
    assert "&lt;script&gt;alert(" in html  # the name is shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&amp;amp;" in html  # an entity in the input is shown as typed, not decoded
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp  # no script may run on it at all
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    notice = call(api, "GET", f"/v1/notices/{world.notice_id}").json
    assert notice["entries"][0]["provider_name"] == HOSTILE  # JSON keeps the exact text


def test_markup_is_printed_as_text_in_the_certificate_pdf(api: Api, tmp_path: Any) -> None:
    from grading import dal
    from grading.store import objects as storage

    _hostile_world(api)
    sweep()
    render_artifacts()
    provider = dal.get_provider(CREDIT_CODE)
    assert provider and provider.get("certificate"), provider
    certificate = dal.get_item(dal.certificate_key(provider["certificate"]["number"]))
    assert certificate and certificate.get("pdf_key"), certificate
    pdf = storage.read_bytes(certificate["pdf_key"])
    for active in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/AA ", b"/URI (javascript", b"/SubmitForm"):
        assert active not in pdf, f"the certificate PDF holds {active!r}"
    assert b"/OpenAction <<" not in pdf  # fpdf2's /OpenAction is a destination array (zoom), never an action
    verified = call(api, "GET", f"/v1/certificates/{certificate['number']}")
    assert verified.status == 200 and verified.json["provider_name"] == HOSTILE
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: make system-deps")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "".join(SCRIPT.split()) in flat  # printed literally, as glyphs


# --- file names -------------------------------------------------------------------------------------------------------

TRAVERSALS = [
    "../../../../etc/passwd.pdf",
    "..\\..\\windows\\system32\\config.pdf",
    "/absolute/path.pdf",
    "notices/evil.pdf",
    "....//....//x.pdf",
    "%2e%2e%2f%2e%2e%2fx.pdf",
    "..",
    "licence.pdf/../../../certificates/fake.pdf",
    "名字 with spaces\u3000.pdf",
]


@pytest.mark.parametrize("filename", TRAVERSALS)
def test_file_names_cannot_leave_the_applications_folder(api: Api, backend: LocalBackend, filename: str) -> None:
    world = fresh(api, backend, "submitted")
    body = {"kind": "business_license", "filename": filename, "content_type": "application/pdf", "size": 300}
    ticket = call(api, "POST", f"/v1/applications/{world.application_id}/documents", body, who=PROVIDER)
    assert ticket.status == 201, ticket.text
    key = ticket.json["key"]
    prefix = f"applications/{world.application_id}/{ticket.json['document_id']}/"
    assert key.startswith(prefix) and ticket.json["fields"]["key"] == key
    name = key[len(prefix) :]
    assert name and "/" not in name and "\\" not in name and name not in (".", "..") and not name.startswith(".")
    from tests.integration.conftest import PDF

    assert upload(ticket.json, PDF) in (200, 204)
    import boto3

    from grading.config import settings

    stored = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=settings().bucket_name)["Contents"]]
    assert stored == [key]


# --- scores, numbers, periods -----------------------------------------------------------------------------------------

BAD_SCORES = ["-1", "100.01", "NaN", "Infinity", "-Infinity", "1e309", '"90"x', "12.345", "1e2"]


@pytest.mark.parametrize("score", BAD_SCORES)
def test_impossible_scores_are_refused_and_no_card_is_stored(api: Api, backend: LocalBackend, score: str) -> None:
    world = fresh(api, backend, "panel")
    scores = ", ".join(f'"{k}": {90 if k != "reputation" else score}' for k in CRITERIA)
    raw = f'{{"scores": {{{scores}}}, "comment": "ok"}}'
    before = snapshot()
    path = f"/v1/applications/{world.application_id}/scorecards/{world.expert_on}"
    answer = call(api, "PUT", path, raw=raw, who=(world.expert_on, "experts"))
    if score == "1e2":  # 100: a legal score however it is written
        assert answer.status == 200, answer.text
        return
    error = refused(answer, 400, 422)
    assert error["code"] == "MALFORMED_JSON" or "scores.reputation" in fields_of(error)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda i: i.update(service_quality=-5), "indicators.service_quality"),
        (lambda i: i.update(market_competitiveness=101), "indicators.market_competitiveness"),
        (lambda i: i["satisfaction"].update(dissatisfied=-1), "indicators.satisfaction.dissatisfied"),
        (
            lambda i: i.update(satisfaction={"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 0}),
            "indicators.satisfaction",
        ),
        (lambda i: i.update(complaints={"upheld": 3, "orders": 0}), "indicators.complaints"),
        (lambda i: i.update(complaints={"upheld": 9, "orders": 2}), "indicators.complaints"),
        (lambda i: i.update(spot_checks=[{"kind": "surprise", "passed": True}]), "indicators.spot_checks.0.kind"),
    ],
    ids=["negative", "over-100", "negative-count", "no-answers", "complaints-no-orders", "more-upheld", "bad-kind"],
)
def test_impossible_indicators_are_refused(api: Api, backend: LocalBackend, change: Any, field: str) -> None:
    world = fresh(api, backend, "certified")
    ind = indicators(True)
    change(ind)
    before = snapshot()
    body = {"credit_code": world.credit_code, "period": PERIOD, "indicators": ind}
    error = refused(call(api, "POST", "/v1/assessments", body, who=ADMIN), 422)
    assert any(f.startswith(field) for f in fields_of(error)), error
    assert snapshot() == before


@pytest.mark.parametrize(
    "period", ["2026-Q5", "2026-Q0", "2026-13", "26-Q1", "2026-q1", "2026-Q1; DROP TABLE", "../2026-Q1", "1999-Q1", ""]
)
def test_impossible_periods_are_refused(api: Api, backend: LocalBackend, period: str) -> None:
    world = fresh(api, backend, "certified")
    before = snapshot()
    body = {"credit_code": world.credit_code, "period": period, "indicators": indicators(False)}
    assert "period" in fields_of(refused(call(api, "POST", "/v1/assessments", body, who=ADMIN), 422))
    assert snapshot() == before


@pytest.mark.parametrize("year", [-1, 0, 1999, 2101, "2026x", 2026.5, None])
def test_impossible_regrading_years_are_refused(api: Api, year: Any) -> None:
    refused(call(api, "POST", "/v1/regradings", {"year": year}, who=ADMIN), 422)


def test_a_future_regrading_year_is_refused(api: Api) -> None:
    next_year = date.today().year + 1
    assert "year" in fields_of(refused(call(api, "POST", "/v1/regradings", {"year": next_year}, who=ADMIN), 422))


# --- ids and paths ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/applications/..%2F..%2Fnotices",
        "/v1/applications/%00",
        "/v1/applications/' OR '1'='1",
        "/v1/applications/" + "A" * 65,
        "/v1/providers/../../etc/passwd",
        "/v1/certificates/%3Cscript%3E",
        "/v1/notices/..%2f..%2f",
        "/v1/schemes/v1%0d%0aSet-Cookie:x=1",
    ],
)
def test_hostile_ids_in_the_path_are_refused_in_shape(api: Api, path: str) -> None:
    answer = call(api, "GET", path, who=ADMIN)
    refused(answer, 400, 401, 403, 404, 422)
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "Bearer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIifQ.", "x" * 8000])
def test_hostile_tokens_get_401_in_shape(api: Api, token: str) -> None:
    answer = call(api, "GET", "/v1/me/applications", headers={"Authorization": f"Bearer {token}"})
    refused(answer, 401)


def test_a_next_token_from_another_list_is_refused(api: Api, backend: LocalBackend) -> None:
    fresh(api, backend, "submitted")
    mine = call(api, "GET", "/v1/me/applications", who=PROVIDER, query={"limit": "1"})
    assert mine.status == 200
    forged = "eyJHU0kxUEsiOnsiUyI6IlNUQVRVUyNzdWJtaXR0ZWQifX0="  # {"GSI1PK": {"S": "STATUS#submitted"}}
    answer = call(api, "GET", "/v1/me/applications", who=PROVIDER, query={"next_token": forged})
    assert "next_token" in fields_of(refused(answer, 422))
    garbage = call(api, "GET", "/v1/applications", who=REVIEWER, query={"status": "submitted", "next_token": "%%%"})
    refused(garbage, 422)


@pytest.mark.parametrize("valid_until", ["0001-01-01", "yesterday", "2026-02-30", "9999-12-31T00:00:00+99:00"])
def test_impossible_or_past_dates_are_refused(api: Api, valid_until: str) -> None:
    body = application_body()
    body["qualifications"][0]["valid_until"] = (
        (date.today() - timedelta(days=1)).isoformat() if valid_until == "yesterday" else valid_until
    )
    assert "qualifications.0.valid_until" in fields_of(
        refused(call(api, "POST", "/v1/applications", body, who=PROVIDER), 422)
    )


def test_the_far_future_is_a_date_like_any_other(api: Api) -> None:
    body = application_body()
    body["qualifications"][0]["valid_until"] = "9999-12-31"
    assert call(api, "POST", "/v1/applications", body, who=PROVIDER).status == 201


BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]


def test_the_notice_page_drops_bidi_controls_as_the_certificate_does() -> None:
    """A name like "福州\\u202e司公限有" reads as another name on the public notice page (the override reverses
    what follows it within the cell), while the certificate prints it without the control."""
    from datetime import UTC, datetime

    from grading.render.notice import NoticeData, render_notice_html

    moment = datetime(2026, 1, 1, tzinfo=UTC)
    entry = {"provider_name": UNICODE_NAMES[0], "credit_code": CREDIT_CODE, "category": "it", "grade": 1}
    data = NoticeData.model_validate(
        {
            "notice_id": "N1",
            "kind": "grading",
            "published_at": moment,
            "window_opens_at": moment,
            "window_closes_at": moment + timedelta(days=7),
            "entries": [entry],
            "objection_url": "http://127.0.0.1:3000/v1/notices/N1/objections",
        }
    )
    html = render_notice_html(data)
    assert not [c for c in BIDI_CONTROLS if c in html], "bidi controls printed raw in the notice page"

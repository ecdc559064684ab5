"""A provider's whole life over HTTP against `make serve`'s stack: decision -> public notice (JSON and HTML) ->
objection filed and dismissed -> the daily sweep (invoked like `make invoke`, with a later `time`) issues the
certificate, whose PDF in S3 matches its SHA-256 -> two failed periods -> the sweep eliminates: certificate
revoked, elimination notice listed, no new application. Then the annual re-grading runs to its report."""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import requests

from grading.credit_code import check_character
from tests.conftest import ROOT, certified_since_the_first, ended_quarters
from tests.e2e.conftest import LocalStack, drain, passed_application, sweep

FIRST, SECOND = ended_quarters(2)  # two adjacent periods that have ended, whatever the day
KEYS = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]


def eligibility(stack: LocalStack, cc: str, category: str) -> tuple[str, set[str]]:
    answer = requests.get(
        f"{stack.api}/v1/providers/{cc}/eligibility",
        params={"category": category},
        headers=stack.headers("procurement-system", "reviewers"),
    ).json()
    return answer["eligibility"], {r["code"] for r in answer["reasons"]}


def _served_table(stack: LocalStack) -> Any:
    """The served backend's table (the same physical name as the in-process one)."""
    return boto3.resource("dynamodb", endpoint_url=stack.backend).Table(os.environ["TABLE_NAME"])


def certified_provider(stack: LocalStack, tmp: Path, cc: str, category: str, who: str) -> tuple[str, dict, str]:
    api = stack.api
    provider = stack.headers(who, "providers")
    admin = stack.headers("life-admin", "admins")
    body = {
        "provider": {
            "name": "广州物业管理有限公司",
            "credit_code": cc,
            "category": category,
            "region": "广东省广州市",
            "contact": {"name": "赵六", "phone": "13700000000", "email": "zhao@example.cn"},
        },
        "qualifications": [{"type": "物业资质", "number": "WY-9", "issuer": "住建厅", "valid_until": "2031-01-01"}],
    }
    app_id = passed_application(stack, body, provider)
    for i in range(3):
        requests.post(
            f"{api}/v1/experts",
            json={"expert_id": f"{category}-expert-{i}", "name": f"专家{i}", "specialties": [category]},
            headers=admin,
        )
    members = requests.post(f"{api}/v1/applications/{app_id}/panel", headers=admin).json()["panel"]
    for member in members:
        card = {"scores": dict.fromkeys(KEYS, 92), "comment": "优"}
        reply = requests.put(
            f"{api}/v1/applications/{app_id}/scorecards/{member}", json=card, headers=stack.headers(member, "experts")
        )
        assert reply.ok, reply.text
    decided = requests.post(f"{api}/v1/applications/{app_id}/decision", headers=admin).json()
    assert decided["grade"] == 1 and decided["total"] == "92.00"
    return app_id, decided, provider["Authorization"]


def test_provider_life(local_stack: LocalStack, tmp_path: Path) -> None:
    api = local_stack.api
    cc = "9144010100000042" + "0"
    cc += check_character(cc)
    app_id, decided, provider_auth = certified_provider(local_stack, tmp_path, cc, "property_services", "life-owner")
    provider = {"Authorization": provider_auth}
    reviewer = local_stack.headers("life-reviewer", "reviewers")
    admin = local_stack.headers("life-admin", "admins")

    # The notice: JSON through the API, the HTML page by its URL, rendered from the stream.
    drain(local_stack)
    notice = requests.get(f"{api}/v1/notices/{decided['notice_id']}").json()
    assert notice["entries"][0]["credit_code"] == cc and notice["html_sha256"]
    page = requests.get(f"{api}{notice['html_url']}")
    assert page.status_code == 200 and "服务商分级公示" in page.text and "广州物业管理有限公司" in page.text
    assert hashlib.sha256(page.content).hexdigest() == notice["html_sha256"]

    objection = requests.post(
        f"{api}/v1/notices/{decided['notice_id']}/objections",
        json={"application_id": app_id, "reason": "该公司存在违规分包"},
        headers=local_stack.headers("citizen", "providers"),
    )
    assert objection.status_code == 201, objection.text
    dismissed = requests.post(
        f"{api}/v1/objections/{objection.json()['objection_id']}/resolution",
        json={"decision": "dismissed", "note": "经核查不属实"},
        headers=reviewer,
    )
    assert dismissed.ok, dismissed.text

    # The sweep, a week and a day later, issues the certificate; the PDF in S3 matches its recorded hash.
    later = datetime.now(UTC) + timedelta(days=20)
    assert sweep(local_stack, later, tmp_path)["certificates_issued"] >= 1  # the stack is shared by the e2e tests
    drain(local_stack)
    # Certified today; the two ended periods it fails are before that: date the certification back, in the
    # served backend's table (an assessment is for a period in which the provider was certified).
    certified_since_the_first(cc, table=_served_table(local_stack))
    record = requests.get(f"{api}/v1/providers/{cc}", headers=provider).json()
    number = record["certificate"]["number"]
    verified = requests.get(f"{api}/v1/certificates/{number}").json()
    assert verified["status"] == "valid" and verified["grade"] == 1 and verified["pdf_sha256"]
    pdf = requests.get(f"{api}/v1/certificates/{number}/pdf", allow_redirects=True)
    assert pdf.content.startswith(b"%PDF") and hashlib.sha256(pdf.content).hexdigest() == verified["pdf_sha256"]
    assert eligibility(local_stack, cc, "property_services") == ("allowed", set())

    # Two failed periods: warned with a rectification order, then due for elimination.
    bad = {
        "service_quality": 20,
        "satisfaction": {"satisfied": 5, "basically_satisfied": 5, "dissatisfied": 90},
        "complaints": {"upheld": 9, "orders": 100},
        "market_competitiveness": 30,
        "spot_checks": [{"kind": "unannounced", "passed": False}],
        "major_incident": False,
    }
    first = requests.post(
        f"{api}/v1/assessments", json={"credit_code": cc, "period": FIRST, "indicators": bad}, headers=admin
    )
    assert first.status_code == 201 and first.json()["provider_status"] == "warned" and first.json()["rectification_id"]
    second = requests.post(
        f"{api}/v1/assessments", json={"credit_code": cc, "period": SECOND, "indicators": bad}, headers=admin
    )
    assert second.json()["consecutive_failures"] == 2
    verdict, reasons = eligibility(local_stack, cc, "property_services")
    assert verdict == "warning" and {"WARNED", "OPEN_RECTIFICATION"} <= reasons

    report = sweep(local_stack, later + timedelta(days=1), tmp_path)
    assert report["providers_eliminated"] >= 1
    drain(local_stack)
    assert requests.get(f"{api}/v1/certificates/{number}").json()["status"] == "revoked"
    listed = requests.get(f"{api}/v1/notices").json()["items"]
    assert any(n["kind"] == "elimination" and n["entries"][0]["credit_code"] == cc for n in listed)
    again = requests.post(
        f"{api}/v1/applications",
        json={
            "provider": {
                "name": "广州物业管理有限公司",
                "credit_code": cc,
                "category": "property_services",
                "region": "广东省广州市",
                "contact": {"name": "赵六", "phone": "13700000000", "email": "zhao@example.cn"},
            },
            "qualifications": [{"type": "物业资质", "number": "WY-9", "issuer": "住建厅", "valid_until": "2031-01-01"}],
        },
        headers=provider,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "PROVIDER_BANNED"
    verdict, reasons = eligibility(local_stack, cc, "property_services")
    assert verdict == "not_allowed" and {"ELIMINATED", "BANNED"} <= reasons

    # The domain events of this life, as the local bus kept them: in order, each valid against its schema.
    drain(local_stack)
    listed = requests.get(f"{api}/_local/events", params={"limit": 2000}).json()["items"]
    mine = [e for e in listed if cc in json.dumps(e["detail"])]
    kinds = [e["detail-type"] for e in mine]
    schemas = {p.stem: json.loads(p.read_text()) for p in (ROOT / "schemas/events").glob("*.json")}
    for event in mine:
        jsonschema.validate(event["detail"], schemas[event["detail-type"]])
    assert kinds[:3] == ["ApplicationSubmitted", "ApplicationReviewed", "GradeDecided"], kinds
    assert kinds.index("CertificateIssued") < kinds.index("ProviderWarned") < kinds.index("ProviderEliminated")
    assert "CertificateRevoked" in kinds and kinds.count("AssessmentRecorded") == 2


def test_regrading_run_serves_its_report(local_stack: LocalStack, tmp_path: Path) -> None:
    api = local_stack.api
    admin = local_stack.headers("life-admin", "admins")
    cc = "9144010100000043" + "0"
    cc += check_character(cc)
    certified_provider(local_stack, tmp_path, cc, "cleaning_services", "regrade-owner")
    drain(local_stack)
    sweep(local_stack, datetime.now(UTC) + timedelta(days=20), tmp_path)
    good = {
        "service_quality": 98,
        "satisfaction": {"satisfied": 99, "basically_satisfied": 1, "dissatisfied": 0},
        "complaints": {"upheld": 0, "orders": 100},
        "market_competitiveness": 95,
        "spot_checks": [],
        "major_incident": False,
    }
    [period] = ended_quarters(1)  # the latest ended quarter, and the certification dated back to its first day
    certified_since_the_first(cc, count=1, table=_served_table(local_stack))
    year = int(period[:4])
    assessed = requests.post(
        f"{api}/v1/assessments", json={"credit_code": cc, "period": period, "indicators": good}, headers=admin
    )
    assert assessed.status_code == 201, assessed.text
    started = requests.post(f"{api}/v1/regradings", json={"year": year}, headers=admin)
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    deadline = time.monotonic() + 120
    while True:
        drain(local_stack)
        run = requests.get(f"{api}/v1/regradings/{run_id}", headers=admin).json()
        if run["status"] == "completed" or time.monotonic() > deadline:
            break
    assert run["status"] == "completed" and run["done"] == run["total"] >= 1
    report = requests.get(run["report_url"]).json()
    assert cc in {row["credit_code"] for row in report["rows"]}

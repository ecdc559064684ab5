"""One provider's years off the happy path, over HTTP against `python -m local serve`, the time moved with
POST /_local/clock (the sweep gets the same moments as its event's `time`): a return that lapses, a withdrawal, a
notice across National Day, an objection found in the open list, a changed ban period, a gap between failures, an
elimination, the ban running out and a clean readmission."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests

from grading.credit_code import check_character
from tests.e2e.conftest import PDF, LocalStack, drain, sweep
from tests.e2e.test_provider_life import KEYS

CHINA = timezone(timedelta(hours=8))
CATEGORY = "security_services"
BAD = {
    "service_quality": 20,
    "satisfaction": {"satisfied": 5, "basically_satisfied": 5, "dissatisfied": 90},
    "complaints": {"upheld": 9, "orders": 100},
    "market_competitiveness": 30,
    "spot_checks": [{"kind": "unannounced", "passed": False}],
    "major_incident": False,
}


def china(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, 5, tzinfo=CHINA)


@pytest.fixture
def clock(local_stack: LocalStack) -> Iterator[Any]:
    def move(moment: datetime) -> None:
        answer = requests.post(f"{local_stack.api}/_local/clock", json={"now": moment.isoformat()}, timeout=10)
        assert answer.status_code == 200 and answer.json()["fixed"] is True, answer.text

    yield move
    assert requests.delete(f"{local_stack.api}/_local/clock", timeout=10).json()["fixed"] is False


def application(cc: str) -> dict[str, Any]:
    return {
        "provider": {
            "name": "福建安保服务有限公司",
            "credit_code": cc,
            "category": CATEGORY,
            "region": "福建省厦门市",
            "contact": {"name": "陈七", "phone": "13600000000", "email": "chen@example.cn"},
        },
        "qualifications": [
            {"type": "保安服务许可证", "number": "BA-7", "issuer": "公安厅", "valid_until": "2031-06-30"}
        ],
    }


class Walk:
    def __init__(self, stack: LocalStack, cc: str) -> None:
        self.stack, self.api, self.cc = stack, stack.api, cc
        self.owner = stack.headers("roads-owner", "providers")
        self.reviewer = stack.headers("roads-reviewer", "reviewers")
        self.admin = stack.headers("roads-admin", "admins")

    def apply(self) -> str:
        created = requests.post(f"{self.api}/v1/applications", json=application(self.cc), headers=self.owner)
        assert created.status_code == 201, created.text
        return str(created.json()["application_id"])

    def upload(self, app_id: str) -> None:
        for kind in ("business_license", "qualification_certificate"):
            ticket = requests.post(
                f"{self.api}/v1/applications/{app_id}/documents",
                json={"kind": kind, "filename": "a.pdf", "content_type": "application/pdf", "size": len(PDF)},
                headers=self.owner,
            ).json()
            assert requests.post(ticket["url"], data=ticket["fields"], files={"file": ("a.pdf", PDF)}).ok

    def review(self, app_id: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = requests.post(f"{self.api}/v1/applications/{app_id}/review", json=body, headers=self.reviewer)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def decide(self, app_id: str) -> dict[str, Any]:
        drawn = requests.post(f"{self.api}/v1/applications/{app_id}/panel", headers=self.admin)
        assert drawn.status_code == 201, drawn.text
        for member in drawn.json()["panel"]:
            card = {"scores": dict.fromkeys(KEYS, 92), "comment": "优"}
            path = f"{self.api}/v1/applications/{app_id}/scorecards/{member}"
            assert requests.put(path, json=card, headers=self.stack.headers(member, "experts")).ok
        decided = requests.post(f"{self.api}/v1/applications/{app_id}/decision", headers=self.admin)
        assert decided.status_code == 200 and decided.json()["grade"] == 1, decided.text
        return dict(decided.json())

    def assess(self, period: str) -> requests.Response:
        body = {"credit_code": self.cc, "period": period, "indicators": BAD}
        return requests.post(f"{self.api}/v1/assessments", json=body, headers=self.admin)

    def provider(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.api}/v1/providers/{self.cc}", headers=self.reviewer).json())

    def eligibility(self) -> dict[str, Any]:
        url = f"{self.api}/v1/providers/{self.cc}/eligibility"
        return dict(requests.get(url, params={"category": CATEGORY}, headers=self.reviewer).json())


def test_one_provider_walks_every_road(local_stack: LocalStack, clock: Any, tmp_path: Path) -> None:
    cc = "9135020000000071" + "0"
    cc += check_character(cc)
    walk = Walk(local_stack, cc)
    api = walk.api
    for i in range(9):  # a second panel leaves out the first one's five experts
        expert = {"expert_id": f"roads-expert-{i}", "name": f"专家{i}", "specialties": [CATEGORY]}
        assert requests.post(f"{api}/v1/experts", json=expert, headers=walk.admin).status_code in (201, 409)

    # 1. A return for more documents (补正) whose deadline passes lapses; the provider may apply again.
    clock(china(2026, 9, 1))
    first = walk.apply()
    returned = walk.review(first, {"decision": "return", "reasons": ["请上传营业执照"]})
    assert returned["return_deadline"] == "2026-09-16"
    assert sweep(local_stack, china(2026, 9, 17, 0), tmp_path)["applications_lapsed"] >= 1
    lapsed = requests.get(f"{api}/v1/applications/{first}", headers=walk.owner).json()
    assert lapsed["status"] == "lapsed" and lapsed["history"][-1]["action"] == "lapse"

    # 2. A withdrawal frees the slot too.
    clock(china(2026, 9, 18))
    second = walk.apply()
    withdrawn = requests.post(
        f"{api}/v1/applications/{second}/withdraw", json={"reason": "材料重新准备"}, headers=walk.owner
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn", withdrawn.text

    # 3. A notice decided on 30 September runs past National Day, to the end of 8 October.
    third = walk.apply()
    walk.upload(third)
    walk.review(third, {"decision": "pass"})
    clock(china(2026, 9, 30))
    decided = walk.decide(third)
    notice = requests.get(f"{api}/v1/notices/{decided['notice_id']}").json()
    assert notice["window_closes_at"] == "2026-10-08T16:00:00.000Z"

    # 4. An objection, found in the reviewers' open list, dismissed; the window closes after the holiday.
    clock(china(2026, 10, 6))
    filed = requests.post(
        f"{api}/v1/notices/{decided['notice_id']}/objections",
        json={"application_id": third, "reason": "保安人员持证情况存疑"},
        headers=local_stack.headers("roads-citizen", "providers"),
    )
    assert filed.status_code == 201, filed.text
    queue = requests.get(f"{api}/v1/objections", params={"status": "open"}, headers=walk.reviewer).json()["items"]
    assert filed.json()["objection_id"] in [o["objection_id"] for o in queue]
    resolution = {"decision": "dismissed", "note": "经核查持证齐全"}
    path = f"{api}/v1/objections/{filed.json()['objection_id']}/resolution"
    assert requests.post(path, json=resolution, headers=walk.reviewer).status_code == 200
    assert sweep(local_stack, china(2026, 10, 8, 0), tmp_path)["certificates_issued"] == 0  # still open
    assert sweep(local_stack, china(2026, 10, 9, 0), tmp_path)["certificates_issued"] >= 1
    drain(local_stack)
    assert walk.provider()["certificate"] is not None

    # 5. The ban period changes: a new version of the assessment settings.
    clock(china(2027, 1, 5))
    settings = requests.get(f"{api}/v1/settings/assessment", headers=walk.admin).json()
    changed = requests.put(f"{api}/v1/settings/assessment", json={**settings, "ban_days": 365}, headers=walk.admin)
    assert changed.status_code == 200 and changed.json()["version"] == settings["version"] + 1

    # 6. Failures with a gap between them are not consecutive; the unassessed period is listed as missing.
    assert walk.assess("2027-Q1").status_code == 409  # not ended yet
    assert walk.assess("2026-Q4").json()["consecutive_failures"] == 1
    clock(china(2027, 7, 5))
    missing = requests.get(
        f"{api}/v1/assessments/missing", params={"period": "2027-Q1", "limit": 100}, headers=walk.admin
    )
    assert missing.status_code == 200 and cc in [i["credit_code"] for i in missing.json()["items"]]
    gap = walk.assess("2027-Q2").json()
    assert gap["consecutive_failures"] == 1, gap  # 2027-Q1 was never assessed: the chain broke

    # 7. Two adjacent fails: eliminated by the sweep, banned for the changed period.
    clock(china(2027, 10, 8))
    assert walk.assess("2027-Q3").json()["consecutive_failures"] == 2
    assert sweep(local_stack, china(2027, 10, 9, 0), tmp_path)["providers_eliminated"] >= 1
    eliminated = walk.provider()
    assert eliminated["status"] == "eliminated" and eliminated["banned_until"] == "2028-10-08"  # 365 days
    clock(china(2028, 10, 1))
    refused = requests.post(f"{api}/v1/applications", json=application(cc), headers=walk.owner)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "PROVIDER_BANNED"

    # 8. The ban runs out: a new application, a new certificate, a clean standing.
    clock(china(2028, 10, 9))
    again = walk.apply()
    walk.upload(again)
    walk.review(again, {"decision": "pass"})
    decided = walk.decide(again)
    closes = datetime.fromisoformat(
        requests.get(f"{api}/v1/notices/{decided['notice_id']}").json()["window_closes_at"].replace("Z", "+00:00")
    )
    assert sweep(local_stack, closes + timedelta(minutes=5), tmp_path)["certificates_issued"] >= 1
    clock(closes.astimezone(UTC) + timedelta(days=1))
    readmitted = walk.provider()
    assert readmitted["status"] == "active" and readmitted["consecutive_failures"] == 0
    assert readmitted["banned_until"] is None and readmitted["certificate"]["number"].endswith("-02")
    verdict = walk.eligibility()
    assert verdict["eligibility"] == "allowed" and verdict["reasons"] == [], verdict

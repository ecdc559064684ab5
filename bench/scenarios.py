"""A happy path for every API endpoint of template.yaml: the records each request needs (made through the API as a
client would, or by the domain's own functions where a scheduled job would make them) and the request itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from bench.harness import System, new_id

PROVIDER = ("provider-1", "providers")
OTHER_USER = ("provider-2", "providers")
REVIEWER = ("reviewer-1", "reviewers")
ADMIN = ("admin-1", "admins")
CATEGORY = "it_services"
EXPERTS = [f"expert-{CATEGORY}-{i:02d}" for i in range(8)]
CRITERIA = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]
PDF = b"%PDF-1.4\n% bench document\n" + b"0" * 2000


@dataclass
class Request:
    method: str
    path: str
    body: Any = None
    who: tuple[str, str] | None = None
    headers: dict[str, str] | None = None
    query: dict[str, str] | None = None
    expect: int = 200


@dataclass
class Scenario:
    """`prepare` returns a request that will succeed; it is called before every sample unless `reusable` (the same
    request can be sent again and again: reads, and writes that are happy to repeat)."""

    endpoint: str  # "METHOD /template/path"
    prepare: Callable[[], Request]
    reusable: bool = False
    note: str = ""


def credit_code(n: int) -> str:
    from grading.credit_code import check_character

    body = f"9135010000{n:07d}"
    return body + check_character(body)


def application_body(cc: str) -> dict[str, Any]:
    return {
        "provider": {
            "name": f"福州云服务有限公司{cc[-6:]}",
            "credit_code": cc,
            "category": CATEGORY,
            "region": "福建省福州市",
            "contact": {"name": "张三", "phone": "13800000000", "email": "zhang@example.cn"},
        },
        "qualifications": [
            {
                "type": "ISO 9001",
                "number": f"Q-{cc[-6:]}",
                "issuer": "中国质量认证中心",
                "valid_until": (date.today() + timedelta(days=400)).isoformat(),
            }
        ],
        "service_cases": [{"client": "某市政府", "description": "政务云运维", "year": 2025}],
    }


def indicators(passing: bool) -> dict[str, Any]:
    quality = 95 if passing else 30
    return {
        "service_quality": quality,
        "satisfaction": {"satisfied": 90 if passing else 10, "basically_satisfied": 5, "dissatisfied": 5},
        "complaints": {"upheld": 0, "orders": 200},
        "market_competitiveness": quality,
        "spot_checks": [{"kind": "unannounced", "passed": passing}],
        "major_incident": False,
    }


class SetupFailed(RuntimeError):
    pass


@dataclass
class World:
    """Builds the records endpoints need, one lifecycle step at a time; shared fixtures are made once."""

    system: System
    _next_code: int = 1000
    _next_period: int = 0
    _shared: dict[str, Any] = field(default_factory=dict)

    # --- plumbing ----------------------------------------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None, *, who: Any = None, expect: int = 200, **kw: Any) -> Any:
        reply = self.system.call(method, path, body, who=who, **kw)
        if reply.status != expect:
            raise SetupFailed(f"setup {method} {path} -> {reply.status}: {str(reply.body)[:300]}")
        return reply.body

    def once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._shared:
            self._shared[name] = make()
        return self._shared[name]

    def fresh_code(self) -> str:
        self._next_code += 1
        return credit_code(self._next_code)

    def fresh_period(self) -> str:
        """Quarterly periods nobody has used yet: 2001-Q1, 2001-Q2, ..."""
        self._next_period += 1
        year, quarter = divmod(self._next_period - 1, 4)
        return f"{2001 + year}-Q{quarter + 1}"

    # --- the lifecycle, step by step -----------------------------------------------------------------------------

    def experts(self) -> list[str]:
        def register() -> list[str]:
            for expert_id in EXPERTS:
                body = {"expert_id": expert_id, "name": f"专家{expert_id[-2:]}", "specialties": [CATEGORY]}
                self.api("POST", "/v1/experts", body, who=ADMIN, expect=201)
            return EXPERTS

        result: list[str] = self.once("experts", register)
        return result

    def submitted(self) -> tuple[str, str]:
        cc = self.fresh_code()
        created = self.api("POST", "/v1/applications", application_body(cc), who=PROVIDER, expect=201)
        return created["application_id"], cc

    def upload_documents(self, app_id: str) -> None:
        for kind in ("business_license", "qualification_certificate"):
            body = {"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf", "size": len(PDF)}
            ticket = self.api("POST", f"/v1/applications/{app_id}/documents", body, who=PROVIDER, expect=201)
            posted = requests.post(ticket["url"], data=ticket["fields"], files={"file": ("f.pdf", PDF)}, timeout=30)
            if posted.status_code not in (200, 204):
                raise SetupFailed(f"upload -> {posted.status_code}")

    def with_documents(self) -> tuple[str, str]:
        app_id, cc = self.submitted()
        self.upload_documents(app_id)
        return app_id, cc

    def returned(self) -> str:
        app_id, _ = self.submitted()
        self.api("POST", f"/v1/applications/{app_id}/review", {"decision": "return", "reasons": ["补正"]}, who=REVIEWER)
        return app_id

    def evaluating(self) -> tuple[str, str]:
        self.experts()
        app_id, cc = self.with_documents()
        self.api("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER)
        return app_id, cc

    def panel(self) -> tuple[str, list[str]]:
        app_id, _ = self.evaluating()
        drawn = self.api("POST", f"/v1/applications/{app_id}/panel", who=ADMIN, expect=201)
        return app_id, list(drawn["panel"])

    def scored(self) -> str:
        app_id, members = self.panel()
        for member in members:
            card = {"scores": dict.fromkeys(CRITERIA, 92), "comment": "良好"}
            self.api("PUT", f"/v1/applications/{app_id}/scorecards/{member}", card, who=(member, "experts"))
        return app_id

    def in_notice(self) -> tuple[str, str, str]:
        """(application id, notice id, credit code) of an application whose public notice is open."""
        app_id = self.scored()
        decided = self.api("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
        view = self.api("GET", f"/v1/applications/{app_id}", who=ADMIN)
        return app_id, decided["notice_id"], view["credit_code"]

    def certified(self) -> tuple[str, str]:
        """(credit code, certificate number): the notice window closed clean, as the daily sweep would find it."""
        from grading import dal, sweep

        app_id, notice_id, cc = self.in_notice()
        if not sweep.certify(app_id, notice_id, datetime.now(UTC) + timedelta(days=8)):
            raise SetupFailed("certify returned False")
        # The scenarios assess fresh periods from 2001-Q1 on (fresh_period): an assessment is for a period in which
        # the provider was certified, so its certification is dated back to before the first (untimed setup).
        dal.client().update_item(
            TableName=dal.table_name(),
            Key=dal._ser(dal.provider_key(cc)),
            UpdateExpression="SET certified_since = :since",
            ExpressionAttributeValues=dal._ser({":since": "2001-01-01"}),
        )
        provider = dal.get_provider(cc)
        assert provider is not None
        return cc, provider["certificate"]["number"]

    def published_notice(self) -> tuple[str, str, str]:
        """An open notice whose HTML the artifacts function has rendered (called directly, as the stream would)."""
        from grading import artifacts, dal

        app_id, notice_id, cc = self.in_notice()
        notice = dal.get_item(dal.notice_key(notice_id))
        assert notice is not None
        artifacts.publish_notice(notice)
        return app_id, notice_id, cc

    def rendered_certificate(self) -> str:
        from grading import artifacts, dal

        _, number = self.shared_certified()
        certificate = dal.get_item(dal.certificate_key(number))
        assert certificate is not None
        if not certificate.get("pdf_key"):
            artifacts.publish_certificate(certificate)
        return number

    def rectification(self, cc: str) -> str:
        """A failed assessment of a fresh period opens a rectification order."""
        body = {"credit_code": cc, "period": self.fresh_period(), "indicators": indicators(False)}
        assessed = self.api("POST", "/v1/assessments", body, who=ADMIN, expect=201)
        return str(assessed["rectification_id"])

    # --- shared fixtures -------------------------------------------------------------------------------------------

    def shared_application(self) -> str:
        return str(self.once("application", lambda: self.with_documents()[0]))

    def shared_panel(self) -> tuple[str, list[str]]:
        result: tuple[str, list[str]] = self.once("panel", self.panel)
        return result

    def shared_notice(self) -> tuple[str, str, str]:
        result: tuple[str, str, str] = self.once("notice", self.published_notice)
        return result

    def shared_certified(self) -> tuple[str, str]:
        """A certified provider with a few members besides its first admin (provider-1), as providers have."""

        def with_members() -> tuple[str, str]:
            cc, number = self.certified()
            for _ in range(3):
                self.join(cc)
            return cc, number

        result: tuple[str, str] = self.once("certified", with_members)
        return result

    def shared_objection(self) -> str:
        app_id, notice_id, _ = self.shared_notice()
        body = {"application_id": app_id, "reason": "基准测试异议"}
        filed = self.once(
            "objection",
            lambda: self.api("POST", f"/v1/notices/{notice_id}/objections", body, who=OTHER_USER, expect=201),
        )
        return str(filed["objection_id"])

    def shared_rectification(self) -> str:
        cc, _ = self.shared_certified()
        return str(self.once("rectification", lambda: self.rectification(cc)))

    def empty_regrading_queue(self) -> None:
        """Nothing consumes the re-grading queue here; moto's SendMessage slows as a queue grows, so start empty."""
        from local.backend import internal_client

        sqs = internal_client("sqs", self.system.stack.region)
        sqs.purge_queue(QueueUrl=self.system.stack.queue_url("RegradingQueue"))

    def join(self, cc: str, role: str = "member") -> str:
        """The sub of a fresh user who accepted an invitation to the provider (sent by its first admin)."""
        sub = f"bench-member-{new_id()}"
        body = {"email": f"{sub}@example.cn", "role": role}
        invited = self.api("POST", f"/v1/providers/{cc}/invitations", body, who=PROVIDER, expect=201)
        self.api("POST", f"/v1/invitations/{invited['code']}/accept", who=(sub, "providers"))
        return sub

    def shared_members(self) -> str:
        """The certified provider (its members included)."""
        return self.shared_certified()[0]

    def joined(self) -> tuple[str, str]:
        cc = self.shared_members()
        return cc, self.join(cc)

    def shared_document(self) -> tuple[str, str]:
        app_id = self.shared_application()
        view = self.api("GET", f"/v1/applications/{app_id}", who=PROVIDER)
        return app_id, str(view["documents"][0]["document_id"])

    def unsubscribe_token(self) -> str:
        """The token a reminder email's unsubscribe link carries (made as the notifier makes it)."""
        from grading.store import notifications as dal_notify

        return str(self.once("token", lambda: dal_notify.unsubscribe_token("bench@example.cn", datetime.now(UTC))[0]))

    def shared_run(self) -> str:
        started = self.once("run", lambda: self.api("POST", "/v1/regradings", {"year": 2000}, who=ADMIN, expect=202))
        return str(started["run_id"])


def then(setup: Callable[[], Any], make: Callable[[Any], Request]) -> Callable[[], Request]:
    """A request built from what `setup` returns."""
    return lambda: make(setup())


def scenarios(world: World) -> list[Scenario]:
    """Every endpoint, keyed exactly as template.yaml's Api events say."""
    w = world
    years = iter(range(2001, 2100))
    rect_reported = {"yes": False}

    def report_ready() -> Request:
        # One order cycles: open/rejected -> reported (this request) -> rejected (the verification) -> reported...
        rect = w.shared_rectification()
        if rect_reported["yes"]:
            w.api("POST", f"/v1/rectifications/{rect}/verification", {"decision": "rejected"}, who=REVIEWER)
        rect_reported["yes"] = True
        return Request("POST", f"/v1/rectifications/{rect}/report", {"report": "已更换项目经理并完成培训"}, PROVIDER)

    def verification_ready() -> Request:
        rect = w.shared_rectification()
        if not rect_reported["yes"]:
            w.api("POST", f"/v1/rectifications/{rect}/report", {"report": "已整改"}, who=PROVIDER)
        rect_reported["yes"] = False
        body = {"decision": "rejected", "note": "证据不足"}
        return Request("POST", f"/v1/rectifications/{rect}/verification", body, REVIEWER)

    def qualification_body(number: str) -> dict[str, Any]:
        valid_until = (date.today() + timedelta(days=700)).isoformat()
        return {"type": "ISO 27001", "number": number, "issuer": "中国质量认证中心", "valid_until": valid_until}

    def qualification_ready() -> Request:
        cc, _ = w.shared_certified()
        body = qualification_body(f"BQ-{new_id()}")
        return Request("POST", f"/v1/providers/{cc}/qualifications", body, PROVIDER, expect=201)

    def qualification_review_ready() -> Request:
        cc, _ = w.shared_certified()
        number = f"BQ-{new_id()}"
        w.api("POST", f"/v1/providers/{cc}/qualifications", qualification_body(number), who=PROVIDER, expect=201)
        return Request("POST", f"/v1/providers/{cc}/qualifications/{number}/review", {"decision": "accepted"}, REVIEWER)

    def conflict_ready() -> Request:
        cc, _ = w.shared_certified()
        expert = f"bench-{new_id()}"
        body = {"expert_id": expert, "name": "基准专家", "specialties": ["bench_category"]}
        w.api("POST", "/v1/experts", body, who=ADMIN, expect=201)
        declared = {"credit_code": cc, "reason": "近三年曾在该公司任职"}
        return Request("POST", f"/v1/experts/{expert}/conflicts", declared, (expert, "experts"), expect=201)

    def accept_ready() -> Request:
        cc = w.shared_members()
        invited = w.api("POST", f"/v1/providers/{cc}/invitations", {"email": "li@example.cn"}, who=PROVIDER, expect=201)
        return Request(
            "POST", f"/v1/invitations/{invited['code']}/accept", None, (f"bench-member-{new_id()}", "providers")
        )

    def decline_ready() -> Request:
        app_id, members = w.panel()
        return Request("POST", f"/v1/applications/{app_id}/panel/decline", {"reason": "出差"}, (members[0], "experts"))

    def resolution_ready() -> Request:
        app_id, notice_id, _ = w.shared_notice()
        body = {"application_id": app_id, "reason": "待驳回的异议"}
        filed = w.api("POST", f"/v1/notices/{notice_id}/objections", body, who=OTHER_USER, expect=201)
        resolution = {"decision": "dismissed", "note": "经核实不成立"}
        return Request("POST", f"/v1/objections/{filed['objection_id']}/resolution", resolution, REVIEWER)

    def scorecard(panel: tuple[str, list[str]]) -> Request:
        app_id, members = panel
        card = {"scores": dict.fromkeys(CRITERIA, 88), "comment": "良好"}
        return Request("PUT", f"/v1/applications/{app_id}/scorecards/{members[0]}", card, (members[0], "experts"))

    def objection(notice: tuple[str, str, str]) -> Request:
        app_id, notice_id, _ = notice
        body = {"application_id": app_id, "reason": "业绩存疑"}
        return Request("POST", f"/v1/notices/{notice_id}/objections", body, OTHER_USER, expect=201)

    def assessment() -> Request:
        body = {"credit_code": w.shared_certified()[0], "period": w.fresh_period(), "indicators": indicators(True)}
        return Request("POST", "/v1/assessments", body, ADMIN, expect=201)

    document = {"kind": "business_license", "filename": "l.pdf", "content_type": "application/pdf", "size": 2048}
    weights = (20, 25, 20, 15, 20)
    scheme_draft = {
        "criteria": [{"key": k, "name": k, "weight": v} for k, v in zip(CRITERIA, weights, strict=True)],
        "bands": [{"grade": g, "min_total": m} for g, m in ((1, 90), (2, 80), (3, 70), (4, 60))],
    }
    what_if = {"version": "draft", "evaluation_weight": 30, "assessment_weight": 70, "upgrade_needs_excellent": 0}
    return [
        # --- ApplicationsFunction
        Scenario(
            "POST /v1/applications",
            lambda: Request(
                "POST",
                "/v1/applications",
                application_body(w.fresh_code()),
                PROVIDER,
                headers={"Idempotency-Key": new_id()},
                expect=201,
            ),
            note="with an Idempotency-Key, as the README's client sends it",
        ),
        Scenario(
            "GET /v1/applications",
            then(
                w.shared_application,
                lambda _: Request("GET", "/v1/applications", None, REVIEWER, query={"status": "submitted"}),
            ),
            reusable=True,
        ),
        Scenario(
            "GET /v1/applications/{application_id}",
            then(w.shared_application, lambda app: Request("GET", f"/v1/applications/{app}", None, PROVIDER)),
            reusable=True,
        ),
        Scenario(
            "POST /v1/applications/{application_id}/documents",
            then(
                w.submitted,
                lambda a: Request("POST", f"/v1/applications/{a[0]}/documents", document, PROVIDER, expect=201),
            ),
        ),
        Scenario(
            "POST /v1/applications/{application_id}/resubmit",
            then(
                w.returned,
                lambda app: Request("POST", f"/v1/applications/{app}/resubmit", {"note": "已补正"}, PROVIDER),
            ),
        ),
        Scenario(
            "POST /v1/applications/{application_id}/review",
            then(
                w.with_documents,
                lambda a: Request("POST", f"/v1/applications/{a[0]}/review", {"decision": "pass"}, REVIEWER),
            ),
            note="a pass: the stored documents are checked in S3",
        ),
        Scenario(
            "POST /v1/applications/{application_id}/withdraw",
            then(
                w.submitted,
                lambda a: Request("POST", f"/v1/applications/{a[0]}/withdraw", {"reason": "公司业务调整"}, PROVIDER),
            ),
        ),
        Scenario(
            "GET /v1/applications/{application_id}/documents/{document_id}",
            then(
                w.shared_document,
                lambda d: Request("GET", f"/v1/applications/{d[0]}/documents/{d[1]}", None, PROVIDER),
            ),
            reusable=True,
            note="the owner",
        ),
        Scenario(
            "GET /v1/me/applications",
            then(w.shared_application, lambda _: Request("GET", "/v1/me/applications", None, PROVIDER)),
            reusable=True,
        ),
        # --- EvaluationFunction
        Scenario(
            "POST /v1/experts",
            lambda: Request(
                "POST",
                "/v1/experts",
                {"expert_id": f"bench-{new_id()}", "name": "基准专家", "specialties": ["bench_category"]},
                ADMIN,
                expect=201,
            ),
        ),
        Scenario(
            "GET /v1/experts/{expert_id}",
            then(w.experts, lambda ids: Request("GET", f"/v1/experts/{ids[0]}", None, ADMIN)),
            reusable=True,
        ),
        Scenario(
            "PATCH /v1/experts/{expert_id}",
            then(w.experts, lambda ids: Request("PATCH", f"/v1/experts/{ids[-1]}", {"name": "专家七"}, ADMIN)),
            reusable=True,
            note="repeated: the same change, a new version each time",
        ),
        Scenario("POST /v1/experts/{expert_id}/conflicts", conflict_ready, note="a new expert declares its own"),
        Scenario(
            "POST /v1/schemes",
            lambda: Request("POST", "/v1/schemes", scheme_draft, ADMIN, expect=201),
            reusable=True,
            note="repeated: each sample adopts the next version",
        ),
        Scenario(
            "GET /v1/schemes/current", lambda: Request("GET", "/v1/schemes/current", None, PROVIDER), reusable=True
        ),
        Scenario("GET /v1/schemes/{version}", lambda: Request("GET", "/v1/schemes/v1", None, PROVIDER), reusable=True),
        Scenario(
            "POST /v1/applications/{application_id}/panel",
            then(w.evaluating, lambda a: Request("POST", f"/v1/applications/{a[0]}/panel", None, ADMIN, expect=201)),
        ),
        Scenario(
            "GET /v1/applications/{application_id}/panel",
            then(w.shared_panel, lambda p: Request("GET", f"/v1/applications/{p[0]}/panel", None, ADMIN)),
            reusable=True,
            note="includes the re-check of the draw",
        ),
        Scenario("POST /v1/applications/{application_id}/panel/decline", decline_ready),
        Scenario(
            "PUT /v1/applications/{application_id}/scorecards/{expert_id}",
            then(w.shared_panel, scorecard),
            reusable=True,
            note="repeated: each sample replaces the card (a new revision)",
        ),
        Scenario(
            "POST /v1/applications/{application_id}/decision",
            then(w.scored, lambda app: Request("POST", f"/v1/applications/{app}/decision", None, ADMIN)),
        ),
        Scenario(
            "GET /v1/me/panels",
            then(w.shared_panel, lambda p: Request("GET", "/v1/me/panels", None, (p[1][0], "experts"))),
            reusable=True,
        ),
        Scenario(
            "GET /v1/summaries/providers",
            then(w.shared_certified, lambda _: Request("GET", "/v1/summaries/providers", None, ADMIN)),
            reusable=True,
        ),
        # --- NoticesFunction
        Scenario("GET /v1/notices", then(w.shared_notice, lambda _: Request("GET", "/v1/notices")), reusable=True),
        Scenario(
            "GET /v1/notices/{notice_id}",
            then(w.shared_notice, lambda n: Request("GET", f"/v1/notices/{n[1]}")),
            reusable=True,
        ),
        Scenario(
            "GET /v1/notices/{notice_id}/html",
            then(w.shared_notice, lambda n: Request("GET", f"/v1/notices/{n[1]}/html")),
            reusable=True,
        ),
        Scenario(
            "POST /v1/notices/{notice_id}/objections",
            then(w.shared_notice, objection),
            reusable=True,
            note="repeated against one open notice",
        ),
        Scenario(
            "GET /v1/objections/{objection_id}",
            then(w.shared_objection, lambda o: Request("GET", f"/v1/objections/{o}", None, REVIEWER)),
            reusable=True,
        ),
        Scenario("POST /v1/objections/{objection_id}/resolution", resolution_ready, note="dismissed"),
        Scenario(
            "GET /v1/objections",
            then(
                w.shared_objection, lambda _: Request("GET", "/v1/objections", None, REVIEWER, query={"status": "open"})
            ),
            reusable=True,
        ),
        Scenario(
            "GET /v1/certificates/{number}",
            then(w.shared_certified, lambda c: Request("GET", f"/v1/certificates/{c[1]}")),
            reusable=True,
        ),
        Scenario(
            "GET /v1/certificates/{number}/pdf",
            then(w.rendered_certificate, lambda n: Request("GET", f"/v1/certificates/{n}/pdf", expect=302)),
            reusable=True,
        ),
        Scenario(
            "GET /c/{number}",
            then(w.shared_certified, lambda c: Request("GET", f"/c/{c[1]}")),
            reusable=True,
            note="the page a certificate's QR code opens",
        ),
        Scenario("GET /notices", then(w.shared_notice, lambda _: Request("GET", "/notices")), reusable=True),
        # --- ProvidersFunction
        Scenario("POST /v1/assessments", assessment, note="a pass of a new period"),
        Scenario(
            "GET /v1/providers/{credit_code}",
            then(w.shared_certified, lambda c: Request("GET", f"/v1/providers/{c[0]}", None, PROVIDER)),
            reusable=True,
        ),
        Scenario(
            "GET /v1/rectifications",
            then(w.shared_rectification, lambda _: Request("GET", "/v1/rectifications", None, REVIEWER)),
            reusable=True,
        ),
        Scenario(
            "GET /v1/rectifications/{rectification_id}",
            then(w.shared_rectification, lambda r: Request("GET", f"/v1/rectifications/{r}", None, PROVIDER)),
            reusable=True,
        ),
        Scenario("POST /v1/rectifications/{rectification_id}/report", report_ready),
        Scenario(
            "POST /v1/rectifications/{rectification_id}/verification", verification_ready, note="rejected (cycles)"
        ),
        Scenario(
            "GET /v1/providers/{credit_code}/eligibility",
            then(
                w.shared_certified,
                lambda c: Request(
                    "GET", f"/v1/providers/{c[0]}/eligibility", None, REVIEWER, query={"category": CATEGORY}
                ),
            ),
            reusable=True,
        ),
        Scenario("POST /v1/providers/{credit_code}/qualifications", qualification_ready),
        Scenario(
            "POST /v1/providers/{credit_code}/qualifications/{number}/review",
            qualification_review_ready,
            note="accepted",
        ),
        Scenario(
            "GET /v1/me/rectifications",
            then(w.shared_rectification, lambda _: Request("GET", "/v1/me/rectifications", None, PROVIDER)),
            reusable=True,
        ),
        Scenario(
            "GET /v1/assessments/missing",
            then(
                w.shared_certified,
                lambda _: Request("GET", "/v1/assessments/missing", None, REVIEWER, query={"period": "2026-Q3"}),
            ),
            reusable=True,
        ),
        Scenario("GET /v1/settings/{name}", lambda: Request("GET", "/v1/settings/notice", None, ADMIN), reusable=True),
        Scenario(
            "PUT /v1/settings/{name}",
            lambda: Request("PUT", "/v1/settings/notice", w.api("GET", "/v1/settings/notice", who=ADMIN), ADMIN),
            note="the same values again: a new version each time",
        ),
        Scenario(
            "GET /v1/providers/{credit_code}/members",
            then(w.shared_members, lambda cc: Request("GET", f"/v1/providers/{cc}/members", None, PROVIDER)),
            reusable=True,
            note="four members",
        ),
        Scenario(
            "POST /v1/providers/{credit_code}/invitations",
            then(
                w.shared_members,
                lambda cc: Request(
                    "POST", f"/v1/providers/{cc}/invitations", {"email": "li@example.cn"}, PROVIDER, expect=201
                ),
            ),
            reusable=True,
        ),
        Scenario("POST /v1/invitations/{code}/accept", accept_ready),
        Scenario(
            "DELETE /v1/providers/{credit_code}/members/{sub}",
            then(w.joined, lambda j: Request("DELETE", f"/v1/providers/{j[0]}/members/{j[1]}", None, PROVIDER)),
            note="an admin removes a member",
        ),
        Scenario(
            "PUT /v1/providers/{credit_code}/members/{sub}",
            then(
                w.joined,
                lambda j: Request(
                    "PUT",
                    f"/v1/providers/{j[0]}/members/{j[1]}",
                    {"role": "admin", "reason": "经核实营业执照，该公司法定代表人指定"},
                    ADMIN,
                ),
            ),
            note="staff appoint a member admin",
        ),
        # --- RegradingFunction
        Scenario(
            "POST /v1/regradings",
            then(
                lambda: (w.shared_certified(), w.empty_regrading_queue()),
                lambda _: Request("POST", "/v1/regradings", {"year": next(years)}, ADMIN, expect=202),
            ),
            note="one run per year: each sample starts another year",
        ),
        Scenario(
            "POST /v1/regradings/what-if",
            then(
                w.empty_regrading_queue,
                lambda _: Request(
                    "POST", "/v1/regradings/what-if", {"year": 2026, "config": what_if}, ADMIN, expect=202
                ),
            ),
        ),
        Scenario(
            "GET /v1/regradings/{run_id}",
            then(w.shared_run, lambda run: Request("GET", f"/v1/regradings/{run}", None, ADMIN)),
            reusable=True,
        ),
        Scenario(
            "POST /v1/regradings/{run_id}/resume",
            then(
                lambda: (w.shared_run(), w.empty_regrading_queue())[0],
                lambda run: Request("POST", f"/v1/regradings/{run}/resume", None, ADMIN, expect=202),
            ),
            note="a running run: every shard's first page queued again",
        ),
        # --- NotificationsFunction
        Scenario(
            "PUT /v1/reviewers/{sub}",
            lambda: Request("PUT", "/v1/reviewers/reviewer-1", {"name": "李审核", "email": "li@example.cn"}, ADMIN),
            reusable=True,
        ),
        Scenario(
            "GET /v1/reviewers",
            lambda: Request("GET", "/v1/reviewers", None, ADMIN),
            reusable=True,
        ),
        Scenario(
            "GET /unsubscribe/{token}",
            then(w.unsubscribe_token, lambda t: Request("GET", f"/unsubscribe/{t}")),
            reusable=True,
        ),
        Scenario(
            "POST /unsubscribe/{token}",
            then(w.unsubscribe_token, lambda t: Request("POST", f"/unsubscribe/{t}")),
            reusable=True,
            note="the page's form; again is harmless",
        ),
        # --- ApiDocsFunction
        Scenario("GET /openapi.json", lambda: Request("GET", "/openapi.json"), reusable=True),
        Scenario("GET /docs", lambda: Request("GET", "/docs"), reusable=True),
    ]


def variants(world: World) -> list[Scenario]:
    """Other happy paths of an endpoint worth a figure of their own (reported apart from the template's list)."""
    w = world

    def colleague() -> tuple[str, str]:
        """A member of one provider only (the certified one, with its application and rectification order)."""
        w.shared_rectification()
        result: tuple[str, str] = w.once("colleague", w.joined)
        return result

    return [
        Scenario(
            "GET /v1/me/applications (a member of one provider)",
            then(colleague, lambda c: Request("GET", "/v1/me/applications", None, (c[1], "providers"))),
            reusable=True,
            note="the template's scenario asks as provider-1, a member of every provider the bench made",
        ),
        Scenario(
            "GET /v1/me/rectifications (a member of one provider)",
            then(colleague, lambda c: Request("GET", "/v1/me/rectifications", None, (c[1], "providers"))),
            reusable=True,
            note="the template's scenario asks as provider-1, a member of every provider the bench made",
        ),
        Scenario(
            "POST /v1/applications (no Idempotency-Key)",
            lambda: Request("POST", "/v1/applications", application_body(w.fresh_code()), PROVIDER, expect=201),
        ),
        Scenario(
            "POST /v1/applications/{application_id}/review (return)",
            then(
                w.submitted,
                lambda a: Request(
                    "POST", f"/v1/applications/{a[0]}/review", {"decision": "return", "reasons": ["补正"]}, REVIEWER
                ),
            ),
        ),
    ]


def template_endpoints(stack: Any) -> list[str]:
    """Every Api event of template.yaml as "METHOD /path", in template order."""
    return [f"{route.method} {route.path}" for spec in stack.functions.values() for route in spec.routes]

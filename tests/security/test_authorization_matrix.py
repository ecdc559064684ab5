"""Who may do what: every API route in template.yaml against every role, each expected status written down.

The table below is the authorization policy. Each row is driven against real records brought to the state the
route acts on (so a 200/201/409 means something), through the local API Gateway (a missing token is its 401).
A refused call must answer in the error shape and leave the table and the bucket exactly as they were; a call
that succeeds and changes state gets a freshly built world for the next role.

docs/security.md renders the same table; `test_doc_shows_this_matrix` keeps it in step
(UPDATE_SECURITY_DOC=1 rewrites it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from local.template import Stack
from tests.conftest import ROOT
from tests.integration.conftest import ADMIN, CREDIT_CODE, OTHER_PROVIDER, PROVIDER, REVIEWER, Api, application_body
from tests.security.conftest import (
    FORMER_MEMBER,
    MEMBER,
    PERIOD,
    World,
    call,
    error_shape_problem,
    fresh,
    indicators,
    scorecard,
    snapshot,
)

# A row's `expected` gives the seven columns of ROLES7; the provider organisation's roles (issue 15) follow from
# them unless the row says otherwise (`members`): once the provider is claimed, a member is answered as the owner
# (its admin); before that, and always for a former member, as a stranger (the other provider).
ROLES7 = ("none", "owner", "other_provider", "expert_on_panel", "expert_off_panel", "reviewer", "admin")
ROLES = (
    "none",
    "owner",
    "member",
    "former_member",
    "other_provider",
    "expert_on_panel",
    "expert_off_panel",
    "reviewer",
    "admin",
)
CLAIMED_WORLDS = frozenset(
    {
        "evaluating",
        "invited",
        "panel",
        "scored",
        "decided",
        "in_notice",
        "objection",
        "certified",
        "qualification",
        "regrading",
        "rectification",
        "reported",
    }
)
ROLE_TITLES = (
    "no token",
    "provider admin (the applicant)",
    "provider member",
    "former member",
    "stranger (other provider)",
    "expert on panel",
    "expert off panel",
    "reviewer",
    "admin",
)


def who(role: str, world: World) -> tuple[str, str] | None:
    return {
        "none": None,
        "owner": PROVIDER,
        "member": MEMBER,
        "former_member": FORMER_MEMBER,
        "other_provider": OTHER_PROVIDER,
        "expert_on_panel": (world.expert_on, "experts"),
        "expert_off_panel": (world.expert_off, "experts"),
        "reviewer": REVIEWER,
        "admin": ADMIN,
    }[role]


Body = Callable[[World], Any]


@dataclass(frozen=True)
class Row:
    event: str  # the Api event's name in template.yaml
    method: str
    path: str  # with {placeholders} filled from the World
    expected: str  # one status per role, in ROLES order
    world: str  # the state the records are brought to first (tests/security/conftest.py: STATES)
    who_may: str  # the policy in words, as API.md states it (or the code, for routes API.md does not list)
    body: Body | None = None
    query: dict[str, str] = field(default_factory=dict)
    fresh_after_success: bool | None = None  # default: every write that succeeds changes the world
    bugs: dict[str, str] = field(default_factory=dict)  # role -> "BUG: ..." (strict xfail cells)
    members: str | None = None  # "<member> <former member>" when they do not follow from `expected`

    @property
    def statuses(self) -> dict[str, int]:
        codes = [int(c) for c in self.expected.split()]
        assert len(codes) == len(ROLES7), self.event
        seven = dict(zip(ROLES7, codes, strict=True))
        if self.members:
            member, former = (int(c) for c in self.members.split())
        else:
            member = seven["owner"] if self.world in CLAIMED_WORLDS else seven["other_provider"]
            former = seven["other_provider"]
        return {
            role: seven[role] if role in seven else {"member": member, "former_member": former}[role] for role in ROLES
        }

    @property
    def writes(self) -> bool:
        return self.method != "GET" if self.fresh_after_success is None else self.fresh_after_success


def _year(_: World) -> dict[str, Any]:
    return {"year": date.today().year}


def _scheme(_: World) -> dict[str, Any]:
    from grading.schemes import DEFAULT_SCHEME

    return DEFAULT_SCHEME.model_dump(mode="json", exclude={"version"})


# fmt: off
# The matrix.                                                            none own  oth  on   off  rev  adm
ROWS: list[Row] = [
    # --- applications and initial review (ApplicationsFunction)
    Row("SubmitApplication", "POST", "/v1/applications",                "401 201 201 403 403 403 403", "empty",
        "providers", body=lambda w: application_body()),
    Row("ListApplications", "GET", "/v1/applications",                  "401 403 403 403 403 200 200", "submitted",
        "reviewers, admins", query={"status": "submitted"}),
    Row("GetApplication", "GET", "/v1/applications/{application_id}",   "401 200 404 200 404 200 200", "panel",
        "owner, experts on its panel, reviewers, admins"),
    Row("RequestDocumentUpload", "POST", "/v1/applications/{application_id}/documents",
                                                                        "401 201 404 403 403 403 403", "submitted",
        "owner", body=lambda w: {"kind": "business_license", "filename": "licence.pdf",
                                 "content_type": "application/pdf", "size": 1000}),
    Row("ResubmitApplication", "POST", "/v1/applications/{application_id}/resubmit",
                                                                        "401 200 404 403 403 403 403", "returned",
        "owner", body=lambda w: {"note": "已补正"}),
    Row("ReviewApplication", "POST", "/v1/applications/{application_id}/review",
                                                                        "401 403 403 403 403 200 403", "submitted",
        "reviewers", body=lambda w: {"decision": "return", "reasons": ["请上传营业执照"]}),
    Row("MyApplications", "GET", "/v1/me/applications",                 "401 200 200 403 403 403 403", "submitted",
        "providers (their own)"),
    Row("WithdrawApplication", "POST", "/v1/applications/{application_id}/withdraw",
                                                                        "401 200 404 403 403 403 403", "submitted",
        "its owner, before the decision", body=lambda w: {"reason": "公司业务调整"}),
    Row("GetDocumentLink", "GET", "/v1/applications/{application_id}/documents/NOSUCHDOC",
                                                                        "401 404 404 404 404 404 404", "panel",
        "whoever may read the application (an unknown document is 404 to all)"),
    # --- experts, schemes, panels, scorecards, decision (EvaluationFunction)
    Row("MyPanels", "GET", "/v1/me/panels",                             "401 403 403 200 200 403 403", "panel",
        "experts (their own open panels)"),
    Row("ProviderSummary", "GET", "/v1/summaries/providers",            "401 403 403 403 403 200 200", "certified",
        "reviewers, admins (the dashboard's counts and providers at risk)"),
    Row("RegisterExpert", "POST", "/v1/experts",                        "401 403 403 403 403 403 201", "empty",
        "admins", body=lambda w: {"expert_id": "expert-new", "name": "新专家", "specialties": ["it_services"]}),
    Row("GetExpert", "GET", "/v1/experts/{expert_on}",                  "401 403 403 200 403 403 200", "panel",
        "that expert, admins"),
    Row("UpdateExpert", "PATCH", "/v1/experts/{expert_on}",             "401 403 403 403 403 403 200", "panel",
        "admins", body=lambda w: {"name": "改名专家"}),
    Row("DeclareConflict", "POST", "/v1/experts/{expert_off}/conflicts", "401 403 403 403 201 403 403", "panel",
        "that expert", body=lambda w: {"credit_code": "91350100M000101Y43", "reason": "曾在该公司任职（回避）"}),
    Row("CreateScheme", "POST", "/v1/schemes",                          "401 403 403 403 403 403 201", "empty",
        "admins", body=_scheme),
    Row("GetCurrentScheme", "GET", "/v1/schemes/current",               "401 200 200 200 200 200 200", "empty",
        "any signed-in user"),
    Row("GetScheme", "GET", "/v1/schemes/v1",                           "401 200 200 200 200 200 200", "empty",
        "any signed-in user"),
    Row("DrawPanel", "POST", "/v1/applications/{application_id}/panel", "401 403 403 403 403 403 201", "evaluating",
        "admins"),
    Row("GetPanel", "GET", "/v1/applications/{application_id}/panel",   "401 403 403 200 404 200 200", "panel",
        "experts on the panel, reviewers, admins"),
    Row("DeclinePanel", "POST", "/v1/applications/{application_id}/panel/decline",
                                                                        "401 403 403 200 404 403 403", "panel",
        "the drawn expert", body=lambda w: {"reason": "与该公司有业务往来，申请回避"}),
    Row("PutScorecard", "PUT", "/v1/applications/{application_id}/scorecards/{expert_on}",
                                                                        "401 403 403 200 403 403 403", "panel",
        "that expert, while the panel is open", body=lambda w: scorecard()),
    Row("Decide", "POST", "/v1/applications/{application_id}/decision", "401 403 403 403 403 403 200", "scored",
        "admins"),
    # --- notices, objections, certificates (NoticesFunction)
    Row("ListNotices", "GET", "/v1/notices",                            "200 200 200 200 200 200 200", "in_notice",
        "anyone"),
    Row("GetNotice", "GET", "/v1/notices/{notice_id}",                  "200 200 200 200 200 200 200", "in_notice",
        "anyone"),
    Row("GetNoticeHtml", "GET", "/v1/notices/{notice_id}/html",         "200 200 200 200 200 200 200", "in_notice",
        "anyone"),
    Row("FileObjection", "POST", "/v1/notices/{notice_id}/objections",  "401 201 201 201 201 201 201", "in_notice",
        "any signed-in user, while the window is open", fresh_after_success=False,  # each files their own
        body=lambda w: {"application_id": w.application_id, "reason": "该公司服务案例与事实不符"}),
    Row("GetObjection", "GET", "/v1/objections/{objection_id}",         "401 404 200 404 404 200 200", "objection",
        "who filed it (here the other provider), reviewers, admins", members="404 404"),
    Row("ResolveObjection", "POST", "/v1/objections/{objection_id}/resolution",
                                                                        "401 403 403 403 403 200 403", "objection",
        "reviewers", body=lambda w: {"decision": "dismissed", "note": "经核查，异议不成立"}),
    Row("ListObjections", "GET", "/v1/objections",                      "401 403 403 403 403 200 200", "objection",
        "reviewers, admins", query={"status": "open"}),
    Row("VerifyCertificate", "GET", "/v1/certificates/{certificate}",   "200 200 200 200 200 200 200", "certified",
        "anyone"),
    Row("CertificatePdf", "GET", "/v1/certificates/{certificate}/pdf",  "302 302 302 302 302 302 302", "certified",
        "anyone (a short-lived link)"),
    Row("CertificatePage", "GET", "/c/{certificate}",                   "200 200 200 200 200 200 200", "certified",
        "anyone (the page a certificate's QR code opens)"),
    Row("NoticeBoard", "GET", "/notices",                               "200 200 200 200 200 200 200", "in_notice",
        "anyone (the notice board page)"),
    # --- assessments, rectification, the provider record (ProvidersFunction)
    Row("RecordAssessment", "POST", "/v1/assessments",                  "401 403 403 403 403 403 201", "certified",
        "admins", body=lambda w: {"credit_code": CREDIT_CODE, "period": PERIOD, "indicators": indicators(True)}),
    Row("GetProvider", "GET", "/v1/providers/{credit_code}",            "401 200 404 404 404 200 200", "certified",
        "owner, reviewers, admins"),
    Row("ListRectifications", "GET", "/v1/rectifications",              "401 403 403 403 403 200 200", "rectification",
        "reviewers, admins"),
    Row("GetRectification", "GET", "/v1/rectifications/{rectification_id}",
                                                                        "401 200 404 404 404 200 200", "rectification",
        "owner, reviewers, admins"),
    Row("ReportRectification", "POST", "/v1/rectifications/{rectification_id}/report",
                                                                        "401 200 404 403 403 403 403", "rectification",
        "owner", body=lambda w: {"report": "已完成整改，附整改报告"}),
    Row("VerifyRectification", "POST", "/v1/rectifications/{rectification_id}/verification",
                                                                        "401 403 403 403 403 200 403", "reported",
        "reviewers", body=lambda w: {"decision": "accepted"}),
    Row("Eligibility", "GET", "/v1/providers/{credit_code}/eligibility",  "401 200 200 200 200 200 200", "certified",
        "any signed-in user (procurement systems)", query={"category": "it_services"}),
    Row("UploadQualification", "POST", "/v1/providers/{credit_code}/qualifications",
                                                                        "401 201 404 403 403 403 403", "certified",
        "owner", body=lambda w: {"type": "ISO 27001", "number": "Q-2027-009", "issuer": "认证中心",
                                 "valid_until": date(date.today().year + 2, 12, 31).isoformat()}),
    Row("ReviewQualification", "POST", "/v1/providers/{credit_code}/qualifications/{qualification}/review",
                                                                        "401 403 403 403 403 200 403", "qualification",
        "reviewers", body=lambda w: {"decision": "accepted"}),
    Row("MyRectifications", "GET", "/v1/me/rectifications",             "401 200 200 403 403 403 403", "rectification",
        "providers (their providers')"),
    # --- who speaks for a provider: members, invitations, staff appointments (ProvidersFunction)
    Row("ListMembers", "GET", "/v1/providers/{credit_code}/members",    "401 200 404 403 403 200 200", "evaluating",
        "its members, reviewers, admins", members="200 404"),
    Row("InviteMember", "POST", "/v1/providers/{credit_code}/invitations",
                                                                        "401 201 404 403 403 403 403", "evaluating",
        "that provider's admins", members="403 404", body=lambda w: {"email": "new@example.cn", "role": "member"}),
    Row("AcceptInvitation", "POST", "/v1/invitations/{invitation}/accept",
                                                                        "401 409 200 403 403 403 403", "invited",
        "a signed-in providers user who is not a member yet (a code works once)", members="409 200"),
    Row("RemoveMember", "DELETE", "/v1/providers/{credit_code}/members/{member_sub}",
                                                                        "401 200 404 403 403 200 200", "evaluating",
        "that provider's admins; reviewers and admins with a reason", members="403 404",
        query={"reason": "已离职"}),
    Row("AppointMember", "PUT", "/v1/providers/{credit_code}/members/{member_sub}",
                                                                        "401 403 403 403 403 200 200", "evaluating",
        "reviewers, admins (settling a dispute, with a reason)", members="403 403",
        body=lambda w: {"role": "admin", "reason": "经核实营业执照，指定为管理员"}),
    Row("MissingAssessments", "GET", "/v1/assessments/missing",         "401 403 403 403 403 200 200", "certified",
        "admins, reviewers", query={"period": "2026-Q1"}),
    Row("GetSettings", "GET", "/v1/settings/assessment",                "401 403 403 403 403 200 200", "empty",
        "admins (reviewers read)"),
    Row("PutSettings", "PUT", "/v1/settings/notice",                    "401 403 403 403 403 403 200", "empty",
        "admins", body=lambda w: {"window_days": 7, "working_days": False, "procurement_contact": "采购办"}),
    # --- annual re-grading (RegradingFunction)
    Row("StartRegrading", "POST", "/v1/regradings",                     "401 403 403 403 403 403 202", "empty",
        "admins", body=_year),
    Row("WhatIf", "POST", "/v1/regradings/what-if",                     "401 403 403 403 403 403 202", "empty",
        "admins", body=lambda w: {**_year(w), "config": {}}),
    Row("GetRegrading", "GET", "/v1/regradings/{run_id}",               "401 403 403 403 403 403 200", "regrading",
        "admins"),
    Row("ResumeRegrading", "POST", "/v1/regradings/{run_id}/resume",    "401 403 403 403 403 403 202", "regrading",
        "admins"),
    # --- notifications (NotificationsFunction)
    Row("PutReviewer", "PUT", "/v1/reviewers/reviewer-9",               "401 403 403 403 403 403 200", "empty",
        "admins", body=lambda w: {"name": "新审核员", "email": "new.reviewer@example.cn"}),
    Row("ListReviewers", "GET", "/v1/reviewers",                        "401 403 403 403 403 403 200", "empty",
        "admins"),
    Row("UnsubscribePage", "GET", "/unsubscribe/{unsubscribe_token}",   "200 200 200 200 200 200 200", "reminded",
        "anyone with the link (the token is the credential)"),
    Row("Unsubscribe", "POST", "/unsubscribe/{unsubscribe_token}",      "200 200 200 200 200 200 200", "reminded",
        "anyone with the link (the token is the credential)"),
    # --- the contract itself (ApiDocsFunction)
    Row("OpenApiDocument", "GET", "/openapi.json",                      "200 200 200 200 200 200 200", "empty",
        "anyone"),
    Row("SwaggerUi", "GET", "/docs",                                    "200 200 200 200 200 200 200", "empty",
        "anyone"),
]
# fmt: on
BY_EVENT = {row.event: row for row in ROWS}


def template_routes(stack: Stack) -> dict[str, tuple[str, str]]:
    """Every Api event in template.yaml: event name -> (method, path)."""
    from local.template import cfn_yaml

    resources = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]
    routes = {}
    for resource in resources.values():
        for name, event in (resource.get("Properties", {}).get("Events") or {}).items():
            if event["Type"] == "Api":
                routes[name] = (event["Properties"]["Method"].upper(), event["Properties"]["Path"])
    return routes


def test_every_route_in_the_template_is_in_the_matrix(stack: Stack) -> None:
    routes = template_routes(stack)
    assert sorted(routes) == sorted(BY_EVENT), "add a Row for each new Api event (and drop removed ones)"
    for name, (method, path) in routes.items():
        row = BY_EVENT[name]
        # A row names its placeholders after the World's fields, or gives a literal value (GetScheme's v1).
        assert row.method == method and _matches(path, row.path), f"{name}: {row.method} {row.path} vs {method} {path}"


def _matches(template_path: str, row_path: str) -> bool:
    parts, mine = template_path.strip("/").split("/"), row_path.strip("/").split("/")
    return len(parts) == len(mine) and all(p == m or p.startswith("{") for p, m in zip(parts, mine, strict=True))


def _cases() -> list[Any]:
    """One test per route for its expected cells; one strict xfail per cell that is a known bug."""
    cases = []
    for row in ROWS:
        cases.append(pytest.param(row, tuple(r for r in ROLES if r not in row.bugs), id=row.event))
        for role, reason in row.bugs.items():
            mark = pytest.mark.xfail(strict=True, reason=reason)
            cases.append(pytest.param(row, (role,), id=f"{row.event}-{role}", marks=mark))
    return cases


@pytest.mark.parametrize(("row", "roles"), _cases())
def test_route_answers_each_role_as_the_matrix_says(api: Api, backend: Any, row: Row, roles: tuple[str, ...]) -> None:
    expected = row.statuses
    # Refusals first, on one world (they must not change it); each success that writes gets a fresh one.
    order = sorted(roles, key=lambda r: expected[r] < 400)
    world: World | None = None
    wrong: list[str] = []
    for role in order:
        if world is None:
            world = fresh(api, backend, row.world)
        path = row.path.format(**vars(world))
        body = row.body(world) if row.body else None
        before = snapshot() if expected[role] >= 400 else None
        answer = call(api, row.method, path, body, who=who(role, world), query=row.query or None)
        if answer.status != expected[role]:
            wrong.append(f"{role}: expected {expected[role]}, got {answer.status} {answer.text[:300]}")
        if answer.status >= 400:
            problem = error_shape_problem(answer)
            if problem:
                wrong.append(f"{role}: {answer.status} {problem}")
        if before is not None and answer.status >= 400 and snapshot() != before:
            wrong.append(f"{role}: refused with {answer.status} but the stored state changed")
        if answer.status < 400 and row.writes:
            world = None
    assert not wrong, f"{row.method} {row.path} in state {row.world}:\n" + "\n".join(wrong)


# --- the same table, for people -------------------------------------------------------------------------------

DOC = ROOT / "docs" / "security.md"
START, END = "<!-- authorization-matrix:start -->", "<!-- authorization-matrix:end -->"


def render_matrix() -> str:
    header = "| route | who may (policy) | state | " + " | ".join(ROLE_TITLES) + " |"
    lines = [header, "|" + "---|" * (3 + len(ROLES))]
    for row in ROWS:
        cells = []
        for role, status in row.statuses.items():
            cell = f"**{status}**" if status < 400 else str(status)
            cells.append(cell + (" (bug)" if role in row.bugs else ""))
        route = f"`{row.method} {row.path}`"
        lines.append(f"| {route} | {row.who_may} | {row.world} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_doc_shows_this_matrix() -> None:
    table = render_matrix()
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text, f"{DOC} lost its matrix markers"
    before, rest = text.split(START, 1)
    current = rest.split(END, 1)[0].strip()
    if current != table and os.environ.get("UPDATE_SECURITY_DOC"):
        DOC.write_text(f"{before}{START}\n{table}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")
        return
    assert current == table, "docs/security.md is out of date: rerun with UPDATE_SECURITY_DOC=1"

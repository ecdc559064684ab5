"""The API's request and response shapes (pydantic v2): the single source of the OpenAPI document."""

import unicodedata
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, field_validator

from grading import credit_code
from grading.assessment import Indicators
from grading.lifecycle import Status
from grading.modelbase import Model

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _printable(value: str) -> str:
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    return value


_Clean = AfterValidator(_printable)
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), _Clean]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _Clean]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Clean]
Text255 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), _Clean]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), _Clean]
Text1000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000), _Clean]
Text2000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), _Clean]


class Strict(Model):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")]


class Contact(Strict):
    name: Text100
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{5,19}$")]
    email: Email


class ProviderIn(Strict):
    name: Text200
    credit_code: str = Field(description="统一社会信用代码, 18 characters with the GB 32100-2015 check character")
    category: Text64
    region: Text100
    contact: Contact

    @field_validator("credit_code")
    @classmethod
    def _valid_credit_code(cls, value: str) -> str:
        value = credit_code.normalize(value)
        problem = credit_code.problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Qualification(Strict):
    type: Text100
    number: Text100
    issuer: Text200
    valid_until: date


class ServiceCase(Strict):
    client: Text200
    description: Text2000
    year: int = Field(ge=1949, le=2100)


class ApplicationIn(Strict):
    provider: ProviderIn
    qualifications: list[Qualification] = Field(min_length=1, max_length=50)
    service_cases: list[ServiceCase] = Field(default_factory=list, max_length=50)


class ApplicationCreated(Model):
    application_id: str
    status: Status


class DocumentKind(StrEnum):
    BUSINESS_LICENSE = "business_license"
    QUALIFICATION_CERTIFICATE = "qualification_certificate"
    COMPANY_PROFILE = "company_profile"
    SERVICE_CASE = "service_case"


ContentType = Literal["application/pdf", "image/jpeg", "image/png"]


class DocumentRequest(Strict):
    kind: DocumentKind
    filename: Text255
    content_type: ContentType
    size: int = Field(gt=0, le=MAX_UPLOAD_BYTES, description="bytes; at most 10 MB")


class UploadTicket(Model):
    document_id: str
    kind: DocumentKind
    key: str
    url: str
    fields: dict[str, str]
    expires_at: str
    max_bytes: int


class ResubmitIn(Strict):
    qualifications: list[Qualification] | None = Field(default=None, min_length=1, max_length=50)
    service_cases: list[ServiceCase] | None = Field(default=None, max_length=50)
    note: Text1000 | None = None


class ReviewIn(Strict):
    decision: Literal["pass", "return", "reject"]
    reasons: list[Text500] = Field(default_factory=list, max_length=20)
    deadline: date | None = Field(
        default=None, description="for a return: when more documents are due (default 15 days)"
    )


class WithdrawIn(Strict):
    reason: Text1000


class HistoryEntry(Model):
    at: str
    actor: str
    action: str
    from_status: Status | None = None
    to_status: Status
    reasons: list[str] = Field(default_factory=list)
    deadline: date | None = None
    note: str | None = None
    settings: str | None = Field(default=None, description="the settings version a computed deadline used")
    calendar: str | None = Field(default=None, description="the calendar settings version a computed deadline used")


class DocumentView(Model):
    document_id: str
    kind: DocumentKind
    filename: str
    content_type: str
    declared_size: int
    created_at: str


class ApplicationSummary(Model):
    application_id: str
    credit_code: str
    provider_name: str
    category: str
    status: Status
    submitted_at: str
    updated_at: str


class ApplicationView(ApplicationSummary):
    provider: dict[str, Any]
    qualifications: list[Qualification]
    service_cases: list[ServiceCase]
    documents: list[DocumentView]
    history: list[HistoryEntry]
    return_deadline: date | None = None
    grade: int | None = None
    total: str | None = Field(default=None, description="weighted total, exact decimal with two places")
    explanation: dict[str, Any] | None = None
    certificate_number: str | None = Field(
        default=None, description="once certified: the certificate (证书), GET /v1/certificates/{number}"
    )


class ApplicationPage(Model):
    items: list[ApplicationSummary]
    next_token: str | None = None


# --- experts, panels, scorecards, decisions (lifecycle steps 3-4) -------------------------------------------

ExpertId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[\w.@:-]+$")
]
CreditCodeRef = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=18, max_length=18)]


class ExpertIn(Strict):
    expert_id: ExpertId = Field(description="the expert user's Cognito sub")
    name: Text100
    specialties: list[Text64] = Field(min_length=1, max_length=20, description="service categories")
    affiliations: list[CreditCodeRef] = Field(
        default_factory=list, max_length=50, description="credit codes of declared conflicts (回避)"
    )
    email: Email | None = Field(default=None, description="where panel seats and scorecard reminders are sent")


class ExpertPatch(Strict):
    name: Text100 | None = None
    specialties: list[Text64] | None = Field(default=None, min_length=1, max_length=20)
    affiliations: list[CreditCodeRef] | None = Field(default=None, max_length=50)
    active: bool | None = None


class ExpertView(Model):
    expert_id: str
    name: str
    specialties: list[str]
    affiliations: list[str]
    email: str | None = None
    active: bool
    updated_at: str


class PanelView(Model):
    application_id: str
    round: int
    status: Literal["open", "closed"]
    panel: list[str] = Field(description="the experts now on the panel")
    seed: str
    candidates: list[str] = Field(description="every eligible expert, sorted: the draw is re-checkable from these")
    size: int
    drawn: list[str]
    declines: list[dict[str, Any]]
    scheme_version: str
    drawn_at: str
    verification: dict[str, Any] | None = None


class DeclineIn(Strict):
    reason: Text500


Score = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False, max_digits=6, decimal_places=2)]


class VetoIn(Strict):
    item: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    reason: Text1000


class ScorecardIn(Strict):
    scores: dict[str, Score] = Field(description="every criterion of the application's scheme, 0-100")
    comment: Text2000
    veto: VetoIn | None = None


class ScorecardView(Model):
    application_id: str
    expert_id: str
    round: int
    scores: dict[str, str]
    comment: str
    veto: dict[str, str] | None = None
    revision: int
    submitted_at: str


class DecisionView(Model):
    application_id: str
    status: Status
    grade: int | None = Field(description="1 (best) .. 4, or null: not graded")
    total: str = Field(description="weighted total, exact, two decimals")
    notice_id: str | None
    explanation: dict[str, Any]


# --- notices, objections, certificates (lifecycle steps 5-6) -----------------------------------------------

T = TypeVar("T")


class Page(Model, Generic[T]):
    items: list[T]
    next_token: str | None = None


class NoticeEntry(Model):
    application_id: str | None = None
    provider_name: str
    credit_code: str
    category: str | None = None
    grade: int | None = None
    total: str | None = None
    note: str | None = None
    scheme_version: str | None = None


class NoticeView(Model):
    notice_id: str
    kind: Literal["grading", "elimination", "regrading"]
    status: Literal["open", "closed"]
    entries: list[NoticeEntry]
    published_at: str
    window_opens_at: str | None = None
    window_closes_at: str | None = None
    html_url: str = Field(description="the page for people (HTML), served by the API from the private bucket")
    html_sha256: str | None = Field(default=None, description="SHA-256 of the published HTML; null until rendered")
    procurement_contact: str | None = Field(default=None, description="how to reach the procurement office")


class ObjectionIn(Strict):
    application_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,64}$")]
    reason: Text2000


class ObjectionView(Model):
    objection_id: str
    notice_id: str
    application_id: str
    credit_code: str
    reason: str
    filed_at: str
    status: Literal["open", "upheld", "dismissed"]
    outcome: Literal["reevaluate", "reject"] | None = None
    note: str | None = None
    resolved_at: str | None = None


class ResolutionIn(Strict):
    decision: Literal["upheld", "dismissed"]
    note: Text2000
    outcome: Literal["reevaluate", "reject"] | None = Field(
        default=None, description="for an upheld objection: back to evaluation (a new panel) or reject"
    )


class CertificateView(Model):
    number: str
    status: Literal["valid", "expired", "superseded", "revoked"]
    grade: int
    provider_name: str
    credit_code: str
    category: str
    issued_on: date
    valid_until: date
    scheme_version: str
    pdf_sha256: str | None = Field(description="SHA-256 of the certificate PDF in S3; null while it renders")
    pdf_url: str | None = None


# --- assessments, rectification, providers (after grading) -------------------------------------------------


class CorrectionIn(Strict):
    reason: Text1000


class AssessmentIn(Strict):
    credit_code: CreditCodeRef
    period: Annotated[str, StringConstraints(max_length=16)] = Field(description='"2026-Q3" (quarterly) or "2026"')
    indicators: Indicators
    correction: CorrectionIn | None = Field(
        default=None, description="replace this period's assessment (audited); without it a second one is a 409"
    )


class AssessmentView(Model):
    credit_code: str
    period: str
    score: str = Field(description="weighted score, exact, two decimals")
    result: Literal["excellent", "pass", "fail"]
    rectification_id: str | None
    consecutive_failures: int
    provider_status: Literal["active", "warned", "eliminated"]
    explanation: dict[str, Any]
    revision: int


class MissingAssessment(Model):
    credit_code: str
    name: str
    category: str | None = None
    grade: int | None = None
    status: str
    period: str


class ProviderView(Model):
    credit_code: str
    name: str
    category: str | None = None
    grade: int | None
    status: Literal["active", "warned", "eliminated"]
    consecutive_failures: int
    banned_until: date | None
    certificate: dict[str, str] | None
    assessments: list[dict[str, Any]]


class RectificationReportIn(Strict):
    report: Text2000


class RectificationVerificationIn(Strict):
    decision: Literal["accepted", "rejected"]
    note: Text1000 | None = None


class RectificationView(Model):
    rectification_id: str
    credit_code: str
    period: str
    deadline: date
    status: Literal["open", "reported", "accepted", "rejected", "withdrawn", "closed"]
    opened_at: str
    overdue_since: str | None = None
    reports: list[dict[str, Any]]
    settings: str | None = Field(default=None, description="the assessment settings version its deadline used")
    calendar: str | None = Field(default=None, description="the calendar settings version its deadline used")


# --- eligibility and qualifications (procurement integration) ----------------------------------------------


class EligibilityView(Model):
    credit_code: str
    eligibility: Literal["allowed", "warning", "not_allowed"]
    grade: int | None
    category: str | None = None
    status: str
    reasons: list[dict[str, str]] = Field(description="every reason, each {code, message}; empty when allowed")
    checked_on: date


class QualificationIn(Strict):
    type: Text100
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[\w.()/-]+$")
    ]
    issuer: Text200
    valid_until: date
    mandatory: bool = True
    replaces: str | None = Field(default=None, max_length=100, description="the number of the qualification it renews")


class QualificationReviewIn(Strict):
    decision: Literal["accepted", "rejected"]
    note: Text1000 | None = None


class QualificationView(Model):
    credit_code: str
    number: str
    type: str
    valid_until: date
    mandatory: bool
    status: Literal["pending", "valid", "expiring", "expired", "rejected", "replaced"]
    replaces: str | None = None


class ReviewerContactIn(Strict):
    name: Text100
    email: Email
    active: bool = True


class ReviewerContactView(Model):
    sub: str
    name: str
    email: str
    active: bool
    updated_at: str

"""HTTP routes for periodic assessments, rectification orders and the provider record."""

from __future__ import annotations

from typing import Annotated, Any

from grading import assessments, missing, providers, qualifications, rectifications
from grading.access import needs, signed_in
from grading.http import caller, request_time
from grading.identity import Role
from grading.models import (
    AssessmentIn,
    AssessmentView,
    EligibilityView,
    MissingAssessment,
    Page,
    ProviderView,
    QualificationIn,
    QualificationReviewIn,
    QualificationView,
    RectificationReportIn,
    RectificationVerificationIn,
    RectificationView,
)
from grading.rest import APPLICATION_JSON, Body, Path, Query, Response, Router

router = Router()

CreditCode = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{18}$")]
RectificationId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,64}$")]
_ERRORS: dict[int, Any] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "the caller may not do this"},
    404: {"description": "not found (or not yours)"},
    409: {"description": "the state forbids this"},
    422: {"description": "invalid fields, each listed in details"},
}


@router.post(
    "/v1/assessments",
    summary="Record a period's assessment (定期考核, admins); a fail opens a rectification order",
    tags=["assessments"],
    responses=_ERRORS,
    status_code=201,
)
@needs(Role.ADMIN)
def record_assessment(body: Annotated[AssessmentIn, Body()]) -> Response[AssessmentView]:
    view = assessments.record_assessment(caller(router), body, request_time(router))
    return Response(status_code=201, content_type=APPLICATION_JSON, body=view)


@router.get(
    "/v1/assessments/missing",
    summary="Certified providers with no assessment of an ended period (admins, reviewers)",
    tags=["assessments"],
    responses=_ERRORS,
)
@needs(Role.ADMIN, Role.REVIEWER)
def missing_assessments(
    period: Annotated[str, Query(max_length=16, description="an ended period, e.g. 2026-Q3")],
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Page[MissingAssessment]:
    return missing.list_missing(caller(router), period, request_time(router), limit, next_token)


@router.get(
    "/v1/providers/<credit_code>",
    summary="A provider's grade, standing, certificate and assessment history",
    tags=["providers"],
    responses=_ERRORS,
)
@signed_in
def get_provider(credit_code: CreditCode) -> ProviderView:
    return providers.provider_view(caller(router), credit_code.upper())


@router.get(
    "/v1/rectifications",
    summary="Overdue rectification orders (reviewers)",
    operation_id="listOverdueRectifications",
    tags=["rectification"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER, Role.ADMIN)
def overdue(
    overdue: Annotated[bool, Query(description="only overdue orders (the one listing offered)")] = True,  # noqa: ARG001 (published)
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Page[RectificationView]:
    return rectifications.overdue_rectifications(caller(router), request_time(router), limit, next_token)


@router.get(
    "/v1/rectifications/<rectification_id>",
    summary="A rectification order (整改)",
    tags=["rectification"],
    responses=_ERRORS,
)
@signed_in
def get_rectification(rectification_id: RectificationId) -> RectificationView:
    return rectifications.get_rectification(caller(router), rectification_id)


@router.post(
    "/v1/rectifications/<rectification_id>/report",
    summary="The provider reports its rectification",
    operation_id="reportRectification",
    tags=["rectification"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER)
def report(rectification_id: RectificationId, body: Annotated[RectificationReportIn, Body()]) -> RectificationView:
    return rectifications.report_rectification(caller(router), rectification_id, body, request_time(router))


@router.post(
    "/v1/rectifications/<rectification_id>/verification",
    summary="A reviewer accepts or rejects the reported rectification",
    operation_id="verifyRectification",
    tags=["rectification"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER)
def verify(
    rectification_id: RectificationId, body: Annotated[RectificationVerificationIn, Body()]
) -> RectificationView:
    return rectifications.verify_rectification(caller(router), rectification_id, body, request_time(router))


@router.get(
    "/v1/providers/<credit_code>/eligibility",
    summary="May this provider be awarded work now? allowed / warning / not_allowed, with every reason",
    tags=["procurement"],
    responses=_ERRORS,
)
@signed_in
def check_eligibility(
    credit_code: CreditCode,
    category: Annotated[str | None, Query(max_length=64, description="the category the work is in")] = None,
) -> EligibilityView:
    return providers.check_eligibility(credit_code.upper(), category, request_time(router))


@router.post(
    "/v1/providers/<credit_code>/qualifications",
    summary="Declare a new or renewed qualification certificate (资质, the provider)",
    tags=["providers"],
    responses=_ERRORS,
    status_code=201,
)
@needs(Role.PROVIDER)
def submit_qualification(
    credit_code: CreditCode, body: Annotated[QualificationIn, Body()]
) -> Response[QualificationView]:
    view = qualifications.submit_qualification(caller(router), credit_code.upper(), body, request_time(router))
    return Response(status_code=201, content_type=APPLICATION_JSON, body=view)


@router.post(
    "/v1/providers/<credit_code>/qualifications/<number>/review",
    summary="Accept or reject a declared qualification (reviewers)",
    tags=["providers"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER)
def review_qualification(
    credit_code: CreditCode,
    number: Annotated[str, Path(pattern=r"^[\w.()-]{1,100}$")],
    body: Annotated[QualificationReviewIn, Body()],
) -> QualificationView:
    return qualifications.review_qualification(caller(router), credit_code.upper(), number, body, request_time(router))


@router.get(
    "/v1/me/rectifications", summary="The caller's rectification orders", tags=["rectification"], responses=_ERRORS
)
@needs(Role.PROVIDER)
def my_rectifications(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, next_token: Annotated[str | None, Query(max_length=2048)] = None
) -> Page[RectificationView]:
    return rectifications.my_rectifications(caller(router), limit, next_token)

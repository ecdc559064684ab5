"""HTTP routes for applications and initial review: parse, identify the caller, hand over to the domain."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.metrics import MetricUnit

from grading import applications
from grading.access import needs, signed_in
from grading.http import caller, request_time
from grading.identity import Role
from grading.lifecycle import Status
from grading.models import (
    ApplicationCreated,
    ApplicationIn,
    ApplicationPage,
    ApplicationView,
    DocumentRequest,
    ResubmitIn,
    ReviewIn,
    UploadTicket,
    WithdrawIn,
)
from grading.observability import metrics
from grading.rest import APPLICATION_JSON, Body, Header, Path, Query, Response, Router

router = Router()

ApplicationId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$")]
Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
NextToken = Annotated[str | None, Query(max_length=2048, description="from the previous page")]
_ERRORS: dict[int, Any] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "the caller's group may not do this"},
    404: {"description": "no such application (or not yours)"},
    409: {"description": "the application's state forbids this"},
    422: {"description": "invalid fields, each listed in details"},
}


def _created(model: Any) -> Response[Any]:
    return Response(status_code=201, content_type=APPLICATION_JSON, body=model)


@router.post(
    "/v1/applications",
    summary="Submit an application (提交申请)",
    operation_id="submitApplication",
    tags=["applications"],
    responses={
        201: {"description": "created", "content": {"application/json": {"model": ApplicationCreated}}},
        **_ERRORS,
    },
)
@needs(Role.PROVIDER)
def submit(
    body: Annotated[ApplicationIn, Body()],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", max_length=128, description="retry-safe: same key, same answer")
    ] = None,
) -> Response[ApplicationCreated]:
    result, replayed = applications.submit_once(caller(router), body, request_time(router), idempotency_key)
    if not replayed:
        metrics.add_metric(name="ApplicationSubmitted", unit=MetricUnit.Count, value=1)
    return _created(ApplicationCreated(**result))


@router.get(
    "/v1/applications", summary="Applications in a status (reviewers)", tags=["applications"], responses=_ERRORS
)
@needs(Role.REVIEWER, Role.ADMIN)
def list_applications(
    status: Annotated[Status, Query()], limit: Limit = 20, next_token: NextToken = None
) -> ApplicationPage:
    return applications.list_by_status(caller(router), status, limit, next_token)


@router.get(
    "/v1/me/applications",
    summary="The caller's own applications, newest first",
    tags=["applications"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER)
def my_applications(limit: Limit = 20, next_token: NextToken = None) -> ApplicationPage:
    return applications.list_mine(caller(router), limit, next_token)


@router.get(
    "/v1/applications/<application_id>",
    summary="One application with its history",
    tags=["applications"],
    responses=_ERRORS,
)
@signed_in
def get_application(application_id: ApplicationId) -> ApplicationView:
    return applications.view(caller(router), application_id)


@router.post(
    "/v1/applications/<application_id>/documents",
    summary="A presigned upload for one document (PDF, JPEG or PNG, at most 10 MB)",
    tags=["applications"],
    responses={
        201: {"description": "upload form", "content": {"application/json": {"model": UploadTicket}}},
        **_ERRORS,
    },
)
@needs(Role.PROVIDER)
def request_upload(application_id: ApplicationId, body: Annotated[DocumentRequest, Body()]) -> Response[UploadTicket]:
    return _created(applications.request_upload(caller(router), application_id, body, request_time(router)))


@router.post(
    "/v1/applications/<application_id>/resubmit",
    summary="Resubmit after a return (补正)",
    operation_id="resubmitApplication",
    tags=["review"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER)
def resubmit(application_id: ApplicationId, body: Annotated[ResubmitIn, Body()]) -> ApplicationView:
    return applications.resubmit(caller(router), application_id, body, request_time(router))


@router.post(
    "/v1/applications/<application_id>/review",
    summary="Initial review (初步审核): pass, return or reject",
    operation_id="reviewApplication",
    tags=["review"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER)
def review(application_id: ApplicationId, body: Annotated[ReviewIn, Body()]) -> ApplicationView:
    return applications.review(caller(router), application_id, body, request_time(router))


@router.post(
    "/v1/applications/<application_id>/withdraw",
    summary="Withdraw an application before the decision (its owner); frees the credit code's slot",
    tags=["applications"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER)
def withdraw(application_id: ApplicationId, body: Annotated[WithdrawIn, Body()]) -> ApplicationView:
    return applications.withdraw(caller(router), application_id, body, request_time(router))

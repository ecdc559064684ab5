"""HTTP routes for the reads the web console needs: a document's preview link, an expert's own panels, the
dashboard's summary of the certified providers."""

from __future__ import annotations

from typing import Annotated, Any

from grading import console_reads, summaries
from grading.access import needs, signed_in
from grading.console_reads import DocumentLink, MyPanelPage
from grading.http import caller, request_time
from grading.identity import Role
from grading.rest import Path, Query, Router
from grading.routes.applications import ApplicationId
from grading.summaries import ProviderSummary

documents_router = Router()  # in ApplicationsFunction
panels_router = Router()  # in EvaluationFunction
summaries_router = panels_router  # the dashboard's summary is served by EvaluationFunction too (its policy reads GSI1)

DocumentId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,64}$")]
_ERRORS: dict[int, Any] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "the caller may not do this"},
    404: {"description": "not found (or not visible to the caller)"},
    422: {"description": "invalid fields, each listed in details"},
}


@documents_router.get(
    "/v1/applications/<application_id>/documents/<document_id>",
    summary="A link (presigned, 5 minutes) to read one document: staff, the owner, an expert on the panel",
    tags=["applications"],
    responses=_ERRORS,
)
@signed_in
def document_link(application_id: ApplicationId, document_id: DocumentId) -> DocumentLink:
    return console_reads.document_link(
        caller(documents_router), application_id, document_id, request_time(documents_router)
    )


@panels_router.get(
    "/v1/me/panels",
    summary="The open panels the calling expert sits on (experts)",
    tags=["evaluation"],
    responses=_ERRORS,
)
@needs(Role.EXPERT)
def my_panels(
    limit: Annotated[int, Query(ge=1, le=50)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> MyPanelPage:
    return console_reads.my_panels(caller(panels_router), limit, next_token)


@summaries_router.get(
    "/v1/summaries/providers",
    summary="The certified providers by category and grade, and those at risk, in one read (reviewers, admins)",
    tags=["providers"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER, Role.ADMIN)
def provider_summary() -> ProviderSummary:
    return summaries.provider_summary(caller(summaries_router), request_time(summaries_router))

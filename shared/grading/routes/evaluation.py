"""HTTP routes for the expert registry, schemes, panels, scorecards and the grade decision."""

from __future__ import annotations

from typing import Annotated, Any

from grading import conflicts, evaluation, experts
from grading.access import needs, signed_in
from grading.http import caller, request_time
from grading.identity import Role
from grading.member_models import ConflictIn
from grading.models import (
    DecisionView,
    DeclineIn,
    ExpertIn,
    ExpertPatch,
    ExpertView,
    PanelView,
    ScorecardIn,
    ScorecardView,
)
from grading.rest import APPLICATION_JSON, Body, Path, Response, Router
from grading.routes.applications import ApplicationId
from grading.schemes import Scheme, SchemeDraft

router = Router()

ExpertIdPath = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.@:-]+$")]
VersionPath = Annotated[str, Path(pattern=r"^v[0-9]{1,6}$")]
_ERRORS: dict[int, Any] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "the caller may not do this"},
    404: {"description": "not found"},
    409: {"description": "the state forbids this (panel closed, not enough experts, already decided...)"},
    422: {"description": "invalid fields, each listed in details"},
}


def _created(model: Any) -> Response[Any]:
    return Response(status_code=201, content_type=APPLICATION_JSON, body=model)


@router.post("/v1/experts", summary="Register an expert (admins)", tags=["experts"], responses=_ERRORS, status_code=201)
@needs(Role.ADMIN)
def register_expert(body: Annotated[ExpertIn, Body()]) -> Response[ExpertView]:
    return _created(experts.register_expert(caller(router), body, request_time(router)))


@router.get("/v1/experts/<expert_id>", summary="An expert record", tags=["experts"], responses=_ERRORS)
@needs(Role.EXPERT, Role.ADMIN)
def get_expert(expert_id: ExpertIdPath) -> ExpertView:
    return experts.get_expert(caller(router), expert_id)


@router.patch(
    "/v1/experts/<expert_id>",
    summary="Update specialties, declared affiliations (回避), or deactivate (admins)",
    tags=["experts"],
    responses=_ERRORS,
)
@needs(Role.ADMIN)
def update_expert(expert_id: ExpertIdPath, body: Annotated[ExpertPatch, Body()]) -> ExpertView:
    return experts.update_expert(caller(router), expert_id, body, request_time(router))


@router.post(
    "/v1/experts/<expert_id>/conflicts",
    summary="Declare a conflict (回避): a credit code this expert must not evaluate, with a reason (that expert)",
    tags=["experts"],
    responses=_ERRORS,
    status_code=201,
)
@needs(Role.EXPERT)
def declare_conflict(expert_id: ExpertIdPath, body: Annotated[ConflictIn, Body()]) -> Response[ExpertView]:
    return _created(conflicts.declare(caller(router), expert_id, body, request_time(router)))


@router.post(
    "/v1/schemes", summary="Adopt a new scheme version (admins)", tags=["schemes"], responses=_ERRORS, status_code=201
)
@needs(Role.ADMIN)
def create_scheme(body: Annotated[SchemeDraft, Body()]) -> Response[Scheme]:
    return _created(experts.create_scheme(caller(router), body, request_time(router)))


@router.get("/v1/schemes/current", summary="The scheme new applications get", tags=["schemes"], responses=_ERRORS)
@signed_in
def current_scheme() -> Scheme:
    caller(router)
    return experts.current_scheme()


@router.get("/v1/schemes/<version>", summary="One scheme version", tags=["schemes"], responses=_ERRORS)
@signed_in
def get_scheme(version: VersionPath) -> Scheme:
    caller(router)
    return experts.get_scheme(version)


@router.post(
    "/v1/applications/<application_id>/panel",
    summary="Draw the expert panel (专家抽取, admins): verifiable from the recorded seed and candidates",
    tags=["evaluation"],
    responses=_ERRORS,
    status_code=201,
)
@needs(Role.ADMIN)
def draw_panel(application_id: ApplicationId) -> Response[PanelView]:
    return _created(evaluation.draw_panel(caller(router), application_id, request_time(router)))


@router.get(
    "/v1/applications/<application_id>/panel",
    summary="The current panel with a re-check of its draw",
    tags=["evaluation"],
    responses=_ERRORS,
)
@needs(Role.EXPERT, Role.REVIEWER, Role.ADMIN)
def get_panel(application_id: ApplicationId) -> PanelView:
    return evaluation.get_panel(caller(router), application_id)


@router.post(
    "/v1/applications/<application_id>/panel/decline",
    summary="A drawn expert declines; a replacement is drawn the same way",
    operation_id="declinePanelSeat",
    tags=["evaluation"],
    responses=_ERRORS,
)
@needs(Role.EXPERT)
def decline(application_id: ApplicationId, body: Annotated[DeclineIn, Body()]) -> PanelView:
    return evaluation.decline(caller(router), application_id, body.reason, request_time(router))


@router.put(
    "/v1/applications/<application_id>/scorecards/<expert_id>",
    summary="An expert's scorecard (评分表): every criterion 0-100, a comment, an optional veto",
    tags=["evaluation"],
    responses=_ERRORS,
)
@needs(Role.EXPERT)
def put_scorecard(
    application_id: ApplicationId, expert_id: ExpertIdPath, body: Annotated[ScorecardIn, Body()]
) -> ScorecardView:
    return evaluation.submit_scorecard(caller(router), application_id, expert_id, body, request_time(router))


@router.post(
    "/v1/applications/<application_id>/decision",
    summary="Close the panel, compute the grade (确定分级), open the public notice (admins)",
    operation_id="decideGrade",
    tags=["evaluation"],
    responses=_ERRORS,
)
@needs(Role.ADMIN)
def decision(application_id: ApplicationId) -> DecisionView:
    return evaluation.make_decision(caller(router), application_id, request_time(router))

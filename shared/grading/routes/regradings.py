"""HTTP routes for the annual re-grading (年度复评) and its what-if."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from grading import regrading, regrading_resume
from grading.access import needs
from grading.http import caller, request_time
from grading.identity import Role
from grading.modelbase import Model
from grading.regrading_rule import RegradingConfig
from grading.rest import APPLICATION_JSON, Body, Path, Response, Router

router = Router()

RunId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,64}$")]
_ERRORS: dict[int, Any] = {
    403: {"description": "admins only"},
    404: {"description": "no such run"},
    409: {"description": "a run for that year is already running"},
    422: {"description": "invalid fields, each listed in details"},
}


class RegradingIn(Model):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)


class WhatIfIn(Model):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    config: RegradingConfig = Field(description="the draft re-grading configuration to try")


class RunStarted(Model):
    run_id: str
    status: str = "running"
    dry_run: bool = False


class RunView(Model):
    run_id: str
    year: int
    status: str
    dry_run: bool
    done: int
    total: int
    enumerated: bool
    counts: dict[str, int]
    report_url: str | None
    report_csv_url: str | None
    notice_ids: list[str]
    config_version: str


class RunResumed(Model):
    run_id: str
    status: str = Field(description="running, or the run's final status (then nothing was queued)")
    queued_shards: list[int] = Field(description="the shards whose first page was queued again")
    finalize_queued: bool = Field(description="every shard was complete: the report was asked for again")


def _accepted(body: RunStarted) -> Response[Any]:
    return Response(status_code=202, content_type=APPLICATION_JSON, body=body)


def _year_not_future(year: int, now: datetime) -> None:
    from grading.errors import InvalidInput

    if year > now.year:
        raise InvalidInput.field("year", "cannot re-grade a year that has not started")


@router.post(
    "/v1/regradings",
    summary="Start the annual re-grading of a year (admins) -> 202",
    tags=["regrading"],
    responses=_ERRORS,
    status_code=202,
    operation_id="startRegrading",
)
@needs(Role.ADMIN)
def start(body: Annotated[RegradingIn, Body()]) -> Response[RunStarted]:
    now = request_time(router)
    _year_not_future(body.year, now)
    return _accepted(RunStarted(run_id=regrading.start(caller(router), body.year, now)))


@router.post(
    "/v1/regradings/what-if",
    summary="Run the same computation under a draft config without writing grades (admins) -> 202",
    tags=["regrading"],
    responses=_ERRORS,
    status_code=202,
    operation_id="startWhatIf",
)
@needs(Role.ADMIN)
def what_if(body: Annotated[WhatIfIn, Body()]) -> Response[RunStarted]:
    now = request_time(router)
    _year_not_future(body.year, now)
    return _accepted(
        RunStarted(run_id=regrading.start(caller(router), body.year, now, draft=body.config), dry_run=True)
    )


@router.get(
    "/v1/regradings/<run_id>",
    summary="Progress, then counts and the report",
    tags=["regrading"],
    responses=_ERRORS,
    operation_id="getRegradingRun",
)
@needs(Role.ADMIN)
def get_run(run_id: RunId) -> RunView:
    return RunView.model_validate(regrading.status(caller(router), run_id))


@router.post(
    "/v1/regradings/<run_id>/resume",
    summary="Queue again what a stuck run needs to go on (admins) -> 202; idempotent, 200 for a finished run",
    tags=["regrading"],
    responses={403: _ERRORS[403], 404: _ERRORS[404]},
)
@needs(Role.ADMIN)
def resume(run_id: RunId) -> Response[RunResumed]:
    resumed = RunResumed.model_validate(regrading_resume.resume(caller(router), run_id, request_time(router)))
    status = 202 if resumed.status == "running" else 200
    return Response(status_code=status, content_type=APPLICATION_JSON, body=resumed)

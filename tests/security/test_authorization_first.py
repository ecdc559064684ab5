"""Authorization before validation, over every route: a caller without the group a route needs gets 403 whatever
it sends (a body that breaks every field, one that is not JSON at all, path parameters that match nothing), and
nothing is stored. Before issue 15 a provider POSTing a bad body to /v1/assessments got 422, which told it the
shape of an admin's request."""

from __future__ import annotations

import re
from typing import Any

import pytest

from grading import access
from grading.http import build_app
from grading.identity import Role
from grading.routes import ALL_ROUTERS
from local.template import Stack
from tests.integration.conftest import Api
from tests.security.conftest import call, error_shape_problem, snapshot
from tests.security.test_authorization_matrix import template_routes

APP = build_app(*ALL_ROUTERS)
BODIES: list[tuple[str, dict[str, str]]] = [
    ('{"credit_code": 7, "period": [], "indicators": "x", "unknown": {"deep": [null]}}', {}),
    ("{not json", {}),
    ("plain words", {"Content-Type": "text/plain"}),
]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "bad!value", path)


def _declared(method: str, path: str) -> Any:
    route = access.route_for(APP, method, re.sub(r"\{[^}]+\}", "X1", path))
    assert route is not None, f"{method} {path} is in template.yaml but no router serves it"
    return access.declared(route.func)


def test_every_route_declares_who_may_call_it(stack: Stack) -> None:
    undeclared = [
        f"{m} {p}"
        for m, p in template_routes(stack).values()
        if p not in ("/openapi.json", "/docs") and _declared(m, p) is None
    ]
    assert not undeclared, "decorate these route functions with @needs(...), @signed_in or @public: " + str(undeclared)


def _cases() -> list[Any]:
    from local.template import cfn_yaml
    from tests.conftest import ROOT

    resources = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]
    cases = []
    for resource in resources.values():
        for name, event in (resource.get("Properties", {}).get("Events") or {}).items():
            if event["Type"] != "Api":
                continue
            method, path = event["Properties"]["Method"].upper(), event["Properties"]["Path"]
            needed = _declared(method, path) if path not in ("/openapi.json", "/docs") else None
            if not isinstance(needed, frozenset):
                continue
            for role in [None, *(r for r in Role if r not in needed)]:
                cases.append(pytest.param(method, path, role, id=f"{name}-{role.value if role else 'no-group'}"))
    return cases


@pytest.mark.parametrize(("method", "path", "role"), _cases())
def test_a_caller_without_the_group_gets_403_before_its_body_is_read(
    api: Api, method: str, path: str, role: Role | None
) -> None:
    before = snapshot()
    for raw, headers in BODIES:
        who = ("outsider-1", role.value if role else "")
        answer = call(api, method, _concrete(path), who=who, raw=raw, headers=headers)
        assert answer.status == 403, f"{method} {path} as {role}: {answer.status} {answer.text[:200]}"
        assert error_shape_problem(answer) is None and answer.json["error"]["code"] == "FORBIDDEN"
    assert snapshot() == before

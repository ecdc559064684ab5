"""The contract of ../shared/API.md holds: every endpoint it lists is routed by template.yaml and documented in
the served OpenAPI document, and the document's errors and schemas are the ones the code uses."""

from __future__ import annotations

import re

from local.template import Stack
from tests.conftest import ROOT
from tests.integration.conftest import Api

API_MD = ROOT.parent / "shared" / "API.md"


def shape(path: str) -> str:
    """Parameter names are ours to choose ({id} in API.md is {application_id} here); the shape is the contract."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def contract_endpoints() -> list[tuple[str, str]]:
    text = API_MD.read_text(encoding="utf-8")
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        cell = re.match(r"^\|\s*((?:GET|POST|PUT|PATCH|DELETE)[^|]*)\|", line)
        if not cell:
            continue
        for part in cell.group(1).split(","):
            method, _, path = part.strip().partition(" ")
            found.append((method, "/v1" + path.split("?")[0].strip()))
    return found


def test_every_contract_endpoint_is_routed_and_documented(api: Api, stack: Stack) -> None:
    # The contract is the point of this test: without it the test fails, it does not pass by skipping.
    assert API_MD.exists(), f"{API_MD} (the contract, ../shared/API.md beside this checkout) is missing"
    endpoints = contract_endpoints()
    assert len(endpoints) >= 20
    routed = {(r.method, shape(r.path)) for spec in stack.functions.values() for r in spec.routes}
    spec = api.call("GET", "/openapi.json").body
    documented = {(m.upper(), shape(p)) for p, ops in spec["paths"].items() for m in ops}
    for method, path in endpoints:
        assert (method, shape(path)) in routed, f"{method} {path} is not routed in template.yaml"
        assert (method, shape(path)) in documented, f"{method} {path} is missing from /openapi.json"


def test_the_document_describes_every_routed_endpoint(api: Api, stack: Stack) -> None:
    spec = api.call("GET", "/openapi.json").body
    for fn, function in stack.functions.items():
        for route in function.routes:
            if route.path in ("/openapi.json", "/docs") or not route.path.startswith("/v1/"):
                continue  # the document itself, and the pages people open (HTML, API.md "Pages for people")
            assert route.method.lower() in spec["paths"].get(route.path, {}), f"{fn}: {route.method} {route.path}"

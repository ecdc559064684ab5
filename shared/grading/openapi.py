"""The OpenAPI document, generated from the routes' code by Powertools' resolver, at build time only.

The API functions answer with `grading.rest` (no Powertools event handler on their cold start). Here each of their
routes is registered with Powertools' `APIGatewayRestResolver` as it is written: the same path, the same
documentation, and the same signature, with `grading.rest`'s markers (`Path`, `Query`, `Header`, `Body`) and
`Response[Model]` turned into Powertools' own. So the document's parameters, constraints, request bodies and
response schemas come from the very annotations and pydantic models that parse the requests; `contract` then
completes every operation (errors, operationIds, public routes). `python -m grading.openapi_build` writes it."""

from __future__ import annotations

import functools
import inspect
import json
import typing
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler import Response as PowertoolsResponse
from aws_lambda_powertools.event_handler.openapi import params as powertools_params

from grading import contract, rest

API_TITLE = "Provider grading API (服务商分级管理)"
API_VERSION = "1.0.0"
_MARKERS = {
    "path": powertools_params.Path,
    "query": powertools_params.Query,
    "header": powertools_params.Header,
    "body": powertools_params.Body,
}


def _annotation(annotation: Any) -> Any:
    """`grading.rest.Response[X]` as Powertools' `Response[X]`; anything else as it is."""
    if annotation is rest.Response:
        return PowertoolsResponse
    if typing.get_origin(annotation) is rest.Response:
        return PowertoolsResponse[typing.get_args(annotation)[0]]  # type: ignore[misc]
    return annotation


def documented(route: rest.Route) -> Callable[..., Any]:
    """The route's function as Powertools reads it: its own name, documentation and access, and its signature with
    the markers and the return type translated."""
    params, returns = rest.route_signature(route.func)
    parameters = []
    for name, _kind, base, marker, default in params:
        annotation = base
        if marker is not None:
            options = {**({"alias": marker.alias} if marker.alias else {}), **marker.options}
            annotation = Annotated[base, _MARKERS[marker.kind](**options)]
        parameters.append(
            inspect.Parameter(
                name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=inspect.Parameter.empty if default is ... else default,
                annotation=annotation,
            )
        )
    signature = inspect.Signature(
        parameters, return_annotation=inspect.Signature.empty if returns is None else _annotation(returns)
    )

    @functools.wraps(route.func)
    def function(**arguments: Any) -> Any:  # the document reads only the signature; tests/unit/test_rest.py calls it
        answer = route.func(**arguments)
        if isinstance(answer, rest.Response):
            return PowertoolsResponse(answer.status_code, None, answer.body, answer.headers)
        return answer

    function.__signature__ = signature  # type: ignore[attr-defined]
    return function


def powertools_app(*routers: rest.Router) -> APIGatewayRestResolver:
    """Powertools' resolver with every route of `routers`, documented by `contract`."""
    app = APIGatewayRestResolver(enable_validation=True, response_validation_error_http_code=500)
    for router in routers:
        for route in router.routes:
            app.route(rule=route.path, method=route.method, **route.options)(documented(route))
    contract.apply(app)
    return app


def generate_document(*routers: rest.Router) -> dict[str, Any]:
    """The OpenAPI document of the routes of `routers` (models, responses, security), without `servers`."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    text = powertools_app(*routers).get_openapi_json_schema(
        title=API_TITLE,
        version=API_VERSION,
        description="See API.md: the public contract. Every error body is {error: {code, message, details}}.",
        security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearer": []}],
    )
    document = contract.finish(json.loads(text))
    document.pop("servers", None)  # where it is served from: set on each answer
    return document

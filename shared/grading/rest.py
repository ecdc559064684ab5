"""The REST resolver the API functions run: routes, parameters, answers, CORS. No Powertools event handler at run
time (issue 20): importing Powertools' resolver alone cost a cold start ~75 ms, its request validation as much again
on the first request, and each function paid it before its own code ran.

What stays with Powertools is the OpenAPI document: `grading.openapi` hands these routes, with their signatures,
to Powertools' resolver at build time (`make openapi`), so the document is generated from the same code, and the
same pydantic models, that parse the requests here.

A route is a function with typed parameters, as in Powertools (and FastAPI):

    @router.get("/v1/providers/<credit_code>", summary="...")
    def get_provider(credit_code: Annotated[str, Path(pattern=...)], limit: Annotated[int, Query(ge=1)] = 20): ...

- A parameter named in the path is a path parameter; `Query(...)`, `Header(alias=...)`, `Body()` say where the
  others come from (a pydantic model with no marker is the body, anything else a query parameter). Constraints are
  pydantic's (`ge`, `le`, `min_length`, `max_length`, `pattern`).
- Each route's parameters are validated by one pydantic model, built the first time a request brings one of them
  (the route's work, not the import's: a container answers few of its routes; a request that brings none, to a
  route whose parameters all have defaults, gets the defaults), and the body by the route's own request model.
  Every invalid field is reported at once, as `InvalidRequest.errors()`: pydantic's errors with `loc` starting
  at "path", "query", "header" or "body", in that order (Powertools' order, so the answers of issues 3 to 19 are
  unchanged). A body that is not JSON is one error of type `json_invalid`.
- A route returns a pydantic model, a `Response` (status, content type, headers, and a body that may be a model),
  or plain data; models are answered as `model_dump(mode="json", by_alias=True)`, and plain data is first
  validated into the route's declared return type, as Powertools did.
- Answers are API Gateway proxy results with `multiValueHeaders`.

Matching needs no regular expression: the static routes are one dictionary lookup, the dynamic ones are compared
segment by segment, static first, then in the order they were registered (Powertools' order)."""

from __future__ import annotations

import base64
import json
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

APPLICATION_JSON = "application/json"
# What Powertools accepted in a path segment: \w and the URI's unreserved and sub-delimiter characters.
_SEGMENT_EXTRA = frozenset("-._~()'!*:@,;=+&$%<> []{}|^")


# -- parameters -------------------------------------------------------------------------------------------------


class Param:
    """Where a parameter comes from, with its pydantic constraints and its documentation (`description`, ...)."""

    kind = "query"

    def __init__(self, default: Any = ..., *, alias: str | None = None, **options: Any) -> None:
        self.default = default
        self.alias = alias
        self.options = options

    def field(self, default: Any) -> Any:
        """The pydantic field this parameter is validated as."""
        from pydantic import Field

        constraints = {k: v for k, v in self.options.items() if k not in ("description", "examples", "title")}
        return Field(default, alias=self.alias, **constraints)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r}, {self.options!r})"


class Path(Param):
    kind = "path"


class Query(Param):
    kind = "query"


class Header(Param):
    kind = "header"


class Body(Param):
    kind = "body"


class InvalidRequest(Exception):
    """Invalid parameters or body: pydantic's error dictionaries, each `loc` starting at where the value was."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid value(s)")
        self._errors = errors

    def errors(self) -> list[dict[str, Any]]:
        return self._errors


# -- answers ----------------------------------------------------------------------------------------------------


class Response(Generic[T]):
    """An answer with its status, content type and headers; `Response[Model]` documents the body's model."""

    def __init__(
        self,
        status_code: int,
        content_type: str | None = None,
        body: Any = None,
        headers: Mapping[str, str | list[str]] | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.headers: dict[str, str | list[str]] = dict(headers or {})
        if content_type:
            self.headers.setdefault("Content-Type", content_type)

    def is_json(self) -> bool:
        content_type = self.headers.get("Content-Type", "")
        if isinstance(content_type, list):
            content_type = content_type[0] if content_type else ""
        return content_type.startswith(APPLICATION_JSON)


@dataclass(frozen=True)
class Cors:
    """The CORS headers of every answer to a browser on an allowed origin (`*`: any). Preflights are answered by
    API Gateway (template.yaml's Cors); an OPTIONS that reaches a function is answered the same way."""

    allow_origin: str = "*"
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    # Powertools' CORSConfig always allowed these; kept, so the answers do not change.
    REQUIRED_HEADERS = ("Authorization", "Content-Type", "X-Amz-Date", "X-Api-Key", "X-Amz-Security-Token")

    def headers_for(self, origin: str | None) -> dict[str, str]:
        if not origin:
            return {}
        if self.allow_origin == "*":
            origin = "*"
        elif origin != self.allow_origin:
            return {}
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": ",".join(sorted({*self.REQUIRED_HEADERS, *self.allow_headers})),
        }
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = ",".join(self.expose_headers)
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return headers


# -- the request ------------------------------------------------------------------------------------------------


class Headers(dict[str, Any]):
    """Request headers, looked up in any case (HTTP header names are case-insensitive)."""

    def __init__(self, headers: Mapping[str, Any] | None) -> None:
        super().__init__({str(k).lower(): v for k, v in (headers or {}).items()})

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(str(key).lower())


class Event:
    """The proxy event API Gateway handed the function, with what the routes read of it."""

    def __init__(self, raw_event: dict[str, Any]) -> None:
        self.raw_event = raw_event
        self.headers = Headers(raw_event.get("headers"))
        self.http_method = str(raw_event.get("httpMethod") or "").upper()
        self.path = str(raw_event.get("path") or "/")

    @property
    def body(self) -> str | None:
        body = self.raw_event.get("body")
        if body and self.raw_event.get("isBase64Encoded"):
            return base64.b64decode(body.encode()).decode()
        return body

    def multi(self, single: str, multi: str, lower: bool = False) -> dict[str, Any]:
        """One source of values (query or headers): each name's value, a list where it came more than once."""
        values: dict[str, Any] = {}
        for name, value in (self.raw_event.get(single) or {}).items():
            values[name.lower() if lower else name] = value
        for name, listed in (self.raw_event.get(multi) or {}).items():
            if isinstance(listed, list) and listed:
                values[name.lower() if lower else name] = listed[0] if len(listed) == 1 else list(listed)
        return values


# -- routes -----------------------------------------------------------------------------------------------------


@dataclass
class Route:
    method: str
    path: str  # Powertools' syntax: /v1/applications/<application_id>
    func: Callable[..., Any]
    options: dict[str, Any]  # what the OpenAPI document says of it (summary, tags, responses, status_code, ...)
    segments: tuple[str, ...] = ()
    _binder: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.segments = tuple(self.path.split("/"))

    @property
    def status_code(self) -> int:
        return int(self.options.get("status_code", 200))

    @property
    def dynamic(self) -> bool:
        return "<" in self.path

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """The path parameters if `parts` (a path split at "/") is this route's path, else None."""
        if len(parts) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for mine, theirs in zip(self.segments, parts, strict=True):
            if mine.startswith("<") and mine.endswith(">"):
                if not theirs or not all(c.isalnum() or c == "_" or c in _SEGMENT_EXTRA for c in theirs):
                    return None
                found[mine[1:-1]] = theirs
            elif mine != theirs:
                return None
        return found

    def binder(self) -> Binder:
        if self._binder is None:
            self._binder = Binder(self)
        return self._binder  # type: ignore[no-any-return]


class Router:
    """Routes registered with `@router.get(path, **documentation)` and the like; `current_event` is the event the
    app is answering (set by the app that includes this router)."""

    current_event: Event

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def route(self, path: str, method: str, **options: Any) -> Callable[[F], F]:
        def register(func: F) -> F:
            self.routes.append(Route(method.upper(), path, func, options))
            return func

        return register

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, "GET", **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, "POST", **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, "PUT", **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, "PATCH", **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, "DELETE", **options)


class App(Router):
    """The routers of one function, answering its proxy events."""

    def __init__(self, cors: Cors | None = None) -> None:
        super().__init__()
        self.cors = cors
        self.routers: list[Router] = [self]
        self._handlers: dict[type[BaseException], Callable[[Any], Response[Any]]] = {}
        self._not_found: Callable[[Exception], Response[Any]] | None = None
        self._static: dict[tuple[str, str], Route] | None = None

    def include_router(self, router: Router) -> None:
        self.routers.append(router)
        self._static = None

    def all_routes(self) -> list[Route]:
        return [route for router in self.routers for route in router.routes]

    def exception_handler(self, kind: type[BaseException]) -> Callable[[F], F]:
        def register(func: F) -> F:
            self._handlers[kind] = func
            return func

        return register

    def not_found(self, func: F) -> F:
        self._not_found = func
        return func

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route that answers `method path`, with its path parameters: static routes first."""
        if self._static is None:
            self._static = {(r.method, r.path): r for r in reversed(self.all_routes()) if not r.dynamic}
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        parts = path.split("/")
        for route in self.all_routes():
            if route.dynamic and route.method == method:
                found = route.match(parts)
                if found is not None:
                    return route, found
        return None

    def resolve(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:  # noqa: ARG002
        request = Event(event)
        for router in self.routers:
            router.current_event = request
        try:
            response = self._answer(request)
        except Exception as exc:
            response = self._handled(exc)
        return self._proxy_result(request, response)

    def _answer(self, request: Event) -> Response[Any]:
        found = self.match(request.http_method, request.path)
        if found is None:
            if self.cors is not None and request.http_method == "OPTIONS":
                methods = {"OPTIONS", *(r.method for r in self.all_routes())}
                return Response(204, None, "", {"Access-Control-Allow-Methods": ",".join(sorted(methods))})
            if self._not_found is not None:
                return self._not_found(LookupError(request.path))
            return Response(404, APPLICATION_JSON, {"statusCode": 404, "message": "Not found"})
        route, path_values = found
        binder = route.binder()
        arguments = binder.arguments(request, path_values)
        return binder.answer(route.func(**arguments))

    def _handled(self, exc: Exception) -> Response[Any]:
        for kind in type(exc).__mro__:
            handler = self._handlers.get(kind)
            if handler is not None:
                return handler(exc)
        raise exc

    def _proxy_result(self, request: Event, response: Response[Any]) -> dict[str, Any]:
        body = response.body
        if response.is_json() and not isinstance(body, str):
            body = json.dumps(jsonable(body), separators=(",", ":"))
        if self.cors is not None:
            response.headers.update(self.cors.headers_for(request.headers.get("origin")))
        encoded = isinstance(body, bytes)
        if encoded:
            body = base64.b64encode(body).decode()
        headers: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            if value is not None:
                headers.setdefault(name, []).extend([value] if isinstance(value, str) else value)
        return {
            "statusCode": response.status_code,
            "body": body,
            "isBase64Encoded": encoded,
            "multiValueHeaders": headers,
        }


def jsonable(value: Any) -> Any:
    """Models as their JSON form (by alias), in plain data too."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# -- binding ----------------------------------------------------------------------------------------------------


def route_signature(func: Callable[..., Any]) -> tuple[list[tuple[str, str, Any, Param | None, Any]], Any]:
    """A route function's parameters as (name, kind, type, marker, default), and its return type: the annotations
    evaluated (the route modules use `from __future__ import annotations`)."""
    import inspect

    hints = typing.get_type_hints(func, include_extras=True)
    params = []
    for name, parameter in inspect.signature(func).parameters.items():
        annotation = hints.get(name, Any)
        marker: Param | None = None
        base = annotation
        if typing.get_origin(annotation) is typing.Annotated:
            base, *extras = typing.get_args(annotation)
            marker = next((extra for extra in extras if isinstance(extra, Param)), None)
        default = parameter.default if parameter.default is not inspect.Parameter.empty else ...
        if marker is not None and default is ... and marker.default is not ...:
            default = marker.default
        params.append((name, marker.kind if marker else "", base, marker, default))
    return params, hints.get("return")


class Binder:
    """One route's parameters and answers: built on the route's first call."""

    def __init__(self, route: Route) -> None:
        from pydantic import BaseModel

        params, self.returns = route_signature(route.func)
        path_names = {segment[1:-1] for segment in route.segments if segment.startswith("<")}
        self.status = route.status_code
        self.sources: list[tuple[str, str, str]] = []  # (kind, field name, name in the request)
        self.body: tuple[str, Any] | None = None
        self.body_default: Any = ...
        fields: dict[str, Any] = {}
        for name, kind, base, marker, default in params:
            if name in path_names:
                kind = "path"
            elif not kind:
                kind = "body" if isinstance(base, type) and issubclass(base, BaseModel) else "query"
            if kind == "body":
                if self.body is not None:
                    raise TypeError(f"{route.func.__name__} takes two bodies")
                self.body = (name, base)
                self.body_default = default
                continue
            wire = marker.alias if marker and marker.alias else name.replace("_", "-") if kind == "header" else name
            fields[name] = (base, marker.field(default) if marker else default)
            self.sources.append((kind, name, wire))
        self.name = f"{route.func.__name__}_parameters"
        self.fields = fields
        # A request that brings none of the parameters, for a route whose parameters all have defaults (a first
        # page: GET /v1/me/applications), gets the defaults, as the model would give them (defaults are not
        # validated): the model is built when a request first brings something to validate.
        self.defaults = {name: self._default(spec) for name, spec in fields.items()}
        self._model: Any = None
        self.return_adapter: Any = None

    @staticmethod
    def _default(spec: tuple[Any, Any]) -> Any:
        from pydantic.fields import FieldInfo

        default = spec[1]
        if isinstance(default, FieldInfo):
            default = ... if default.is_required() or default.default_factory is not None else default.default
        # only a value that cannot be shared by mistake (pydantic copies the others)
        return default if isinstance(default, type(None) | bool | int | float | str) else ...

    def model(self) -> Any:
        if self._model is None:
            from pydantic import create_model

            self._model = create_model(self.name, **self.fields)
        return self._model

    def arguments(self, request: Event, path_values: dict[str, str]) -> dict[str, Any]:
        """The route function's keyword arguments, validated; every invalid one is raised at once."""
        values: dict[str, Any] = {}
        errors = self._parameters(request, path_values, values)
        errors += self._body(request, values)
        if errors:
            raise InvalidRequest(errors)
        return values

    def _parameters(self, request: Event, path_values: dict[str, str], values: dict[str, Any]) -> list[Any]:
        from pydantic import ValidationError

        if not self.fields:
            return []
        query = request.multi("queryStringParameters", "multiValueQueryStringParameters")
        headers = request.multi("headers", "multiValueHeaders", lower=True)
        sources = {"path": path_values, "query": query}
        given: dict[str, Any] = {}
        for kind, _name, wire in self.sources:
            value = headers.get(wire.lower()) if kind == "header" else sources[kind].get(wire)
            if value is not None:
                given[wire] = value
        if not given and ... not in self.defaults.values():
            values.update(self.defaults)
            return []
        try:
            values.update(dict(self.model().model_validate(given)))
        except ValidationError as invalid:
            where = {wire: kind for kind, _, wire in self.sources}
            errors = []
            for error in invalid.errors(include_url=False):
                loc = tuple(error.get("loc", ()))
                kind = where.get(str(loc[0]), "query") if loc else "query"
                if kind == "header":  # named as Powertools named it: in lower case
                    loc = (str(loc[0]).lower(), *loc[1:])
                error["loc"] = (kind, *loc)
                errors.append(error)
            order = {"path": 0, "query": 1, "header": 2}
            return sorted(errors, key=lambda e: order.get(e["loc"][0], 3))
        return []

    def _body(self, request: Event, values: dict[str, Any]) -> list[Any]:
        from pydantic import ValidationError

        if self.body is None:
            return []
        name, model = self.body
        raw = request.body
        try:
            document = json.loads(raw) if raw else None
        except ValueError as exc:
            pos = getattr(exc, "pos", 0)
            error = {"type": "json_invalid", "loc": ("body", pos), "msg": "JSON decode error", "input": {}}
            raise InvalidRequest([error]) from exc
        if document is None:  # no body, or `null`
            if self.body_default is not ...:
                values[name] = self.body_default
                return []
            return [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        try:
            values[name] = model.model_validate(document, from_attributes=True)
        except ValidationError as invalid:
            return [{**error, "loc": ("body", *error.get("loc", ()))} for error in invalid.errors(include_url=False)]
        return []

    def answer(self, result: Any) -> Response[Any]:
        if isinstance(result, Response):
            if result.is_json() and not isinstance(result.body, str | bytes):
                result.body = self._serialised(result.body, response=True)
            return result
        return Response(self.status, APPLICATION_JSON, self._serialised(result))

    def _serialised(self, value: Any, response: bool = False) -> Any:
        """A model as its JSON form; plain data validated into the declared type first (Powertools' behaviour)."""
        from pydantic import BaseModel

        declared = self.returns
        if response and typing.get_origin(declared) is Response:
            declared = (typing.get_args(declared) or (Any,))[0]
        elif response and declared is Response:
            declared = Any
        if isinstance(value, BaseModel):
            if type(value) is declared or declared in (None, Any) or not isinstance(declared, type):
                return jsonable(value)
            # Another model than the declared one (a subclass, a look-alike): answered as the declared one, extra
            # fields dropped, as Powertools' response validation did; one that does not fit is our bug (a 500).
            value = jsonable(value)
        if value is None:
            return None
        if declared in (None, Any):
            return jsonable(value)
        if self.return_adapter is None:
            from pydantic import TypeAdapter

            self.return_adapter = TypeAdapter(declared)
        adapter = self.return_adapter
        return adapter.dump_python(adapter.validate_python(value, from_attributes=True), mode="json", by_alias=True)

"""grading.rest, the resolver the API functions run (issue 20): routes, parameters, answers, CORS.

Its parameters must behave as Powertools' validation did before it (the answers of every earlier issue depend on
it), so the same toy routes are also registered with Powertools' resolver through `grading.openapi` (what builds
the OpenAPI document) and both are asked the same requests: the same values reach the function, the same errors
(where, what) come back, and the same JSON is answered."""

from __future__ import annotations

import json
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grading import openapi, rest
from grading.rest import Body, Header, Path, Query, Response
from local.apigw import api_event


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class ThingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=5)
    weight: Decimal = Field(ge=0, le=100)
    colour: Colour = Colour.RED


class ThingOut(BaseModel):
    id: str
    name: str
    weight: Decimal
    tags: list[str] = []


router = rest.Router()
Id = Annotated[str, Path(min_length=1, max_length=8, pattern=r"^[0-9A-Za-z]+$")]
SEEN: list[dict[str, Any]] = []


@router.get("/things")
def list_things(
    colour: Annotated[Colour, Query()],
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 20,
    flag: Annotated[bool, Query()] = True,
    next_token: Annotated[str | None, Query(max_length=8)] = None,
) -> ThingOut:
    SEEN.append({"colour": colour, "limit": limit, "flag": flag, "next_token": next_token})
    return ThingOut(id="1", name=f"{colour}-{limit}", weight=Decimal("1.50"))


@router.get("/pages")
def pages(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=8)] = None,
    colour: Colour = Colour.BLUE,
) -> list[Any]:
    return [limit, next_token, colour]


@router.get("/things/mine")
def mine() -> list[ThingOut]:
    return [{"id": "m", "name": "mine", "weight": 2, "extra": "dropped"}]  # type: ignore[list-item]


@router.get("/things/<thing_id>")
def get_thing(thing_id: Id) -> ThingOut:
    return ThingOut(id=thing_id, name="x", weight=Decimal(3))


@router.post("/things/<thing_id>", status_code=201)
def put_thing(
    thing_id: Id,
    body: Annotated[ThingIn, Body()],
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=4)] = None,
) -> Response[ThingOut]:
    SEEN.append({"thing_id": thing_id, "body": body, "key": key})
    out = ThingOut(id=thing_id, name=body.name, weight=body.weight, tags=[str(key)])
    return Response(201, rest.APPLICATION_JSON, out)


@router.get("/pages/<number>")
def page(number: str) -> Response[str]:
    return Response(200, "text/html; charset=utf-8", f"<p>{number}</p>", {"ETag": '"x"'})


def _ours() -> rest.App:
    app = rest.App(cors=rest.Cors(allow_origin="*", expose_headers=("Location",), max_age=300))
    app.include_router(router)
    return app


OURS = _ours()
THEIRS = openapi.powertools_app(router)


def _event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    return api_event(method, path, **kwargs)


def _errors(app: Any, event: dict[str, Any]) -> Any:
    """What the app answers: ("ok", status, body) or ("invalid", [(loc, type, msg)])."""
    from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

    try:
        if isinstance(app, rest.App):
            found = app.match(event["httpMethod"], event["path"])
            assert found is not None
            answer = app.resolve(event, None)
        else:
            answer = app.resolve(event, None)
    except (rest.InvalidRequest, RequestValidationError) as invalid:
        return ("invalid", [(tuple(e["loc"]), e["type"], e["msg"]) for e in invalid.errors()])
    body = answer["body"]
    return ("ok", answer["statusCode"], json.loads(body) if body and body[0] in "[{" else body)


def _raising(app: rest.App) -> rest.App:
    @app.exception_handler(rest.InvalidRequest)
    def _reraise(exc: rest.InvalidRequest) -> Response[Any]:
        raise exc

    return app


_raising(OURS)


@THEIRS.exception_handler(Exception)
def _theirs_reraise(exc: Exception) -> Any:
    raise exc


def both(event: dict[str, Any]) -> tuple[Any, Any]:
    SEEN.clear()
    ours = _errors(OURS, event)
    ours_seen = list(SEEN)
    SEEN.clear()
    theirs = _errors(THEIRS, json.loads(json.dumps(event)))
    assert ours_seen == SEEN, "the function was given other values"
    return ours, theirs


QUERY = st.dictionaries(
    st.sampled_from(["colour", "limit", "flag", "next_token", "other"]),
    st.one_of(
        st.sampled_from(["red", "blue", "RED", "0", "1", "100", "101", "-3", "true", "no", "abcdefghij", ""]),
        st.text(max_size=10),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(query=QUERY)
def test_query_parameters_are_validated_as_powertools_did(query: dict[str, str]) -> None:
    ours, theirs = both(_event("GET", "/things", query=query or None))
    assert ours == theirs


BODIES = st.one_of(
    st.none(),
    st.sampled_from(["", "{", "[]", '"x"', "null", "{}", '{"name": "ab", "weight": 5}', '{"name": "", "weight": 101}']),
    st.builds(
        json.dumps,
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(st.text(max_size=7), st.integers()),
                "weight": st.one_of(st.integers(-5, 105), st.floats(allow_nan=False), st.text(max_size=3)),
                "colour": st.sampled_from(["red", "blue", "green", 1]),
                "extra": st.just(1),
            },
        ),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    body=BODIES, thing=st.sampled_from(["A1", "bad!id", "toolongid9", "Z"]), key=st.sampled_from([None, "k", "kkkkk"])
)
def test_bodies_path_and_headers_are_validated_as_powertools_did(body: str | None, thing: str, key: str | None) -> None:
    headers = {"Content-Type": "application/json", **({"idempotency-KEY": key} if key is not None else {})}
    ours, theirs = both(_event("POST", f"/things/{thing}", body=body, headers=headers))
    assert ours == theirs


@pytest.mark.parametrize(
    "query", [None, {"limit": "5"}, {"limit": "0"}, {"next_token": "x" * 9}, {"colour": "red"}, {"other": "1"}]
)
def test_a_route_whose_parameters_all_have_defaults_answers_as_powertools_did(query: dict[str, str] | None) -> None:
    ours, theirs = both(_event("GET", "/pages", query=query))
    assert ours == theirs


def test_the_parameters_model_is_built_when_a_request_first_brings_a_parameter() -> None:
    route = rest.Route("GET", "/pages", pages, {})
    binder = route.binder()
    assert binder.arguments(rest.Event(_event("GET", "/pages")), {}) == {
        "limit": 20,
        "next_token": None,
        "colour": "blue",
    }
    assert binder._model is None
    assert binder.arguments(rest.Event(_event("GET", "/pages", query={"limit": "7"})), {})["limit"] == 7
    assert binder._model is not None


def test_plain_data_is_validated_into_the_declared_type_and_extra_keys_dropped() -> None:
    ours, theirs = both(_event("GET", "/things/mine"))
    assert ours == theirs == ("ok", 200, [{"id": "m", "name": "mine", "weight": "2", "tags": []}])


def test_static_routes_win_and_dynamic_ones_match_one_segment() -> None:
    assert OURS.match("GET", "/things/mine")[0].func is mine  # type: ignore[index]
    assert OURS.match("GET", "/things/A1")[0].func is get_thing  # type: ignore[index]
    assert OURS.match("GET", "/things/A1/more") is None
    assert OURS.match("GET", "/things/") is None
    assert OURS.match("DELETE", "/things/A1") is None
    assert OURS.match("GET", '/things/a"b') is None  # Powertools matched no such segment either
    assert THEIRS.resolve(_event("GET", '/things/a"b'), None)["statusCode"] == 404


def test_answers_carry_headers_cors_and_the_status() -> None:
    created = OURS.resolve(
        _event("POST", "/things/A1", body='{"name": "ab", "weight": 5}', headers={"Origin": "https://x.example"}), None
    )
    assert created["statusCode"] == 201
    assert created["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert created["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]
    assert created["multiValueHeaders"]["Access-Control-Max-Age"] == ["300"]
    assert json.loads(created["body"]) == {"id": "A1", "name": "ab", "weight": "5", "tags": ["None"]}
    html = OURS.resolve(_event("GET", "/pages/7"), None)
    assert html["body"] == "<p>7</p>" and html["multiValueHeaders"]["ETag"] == ['"x"']
    assert "Access-Control-Allow-Origin" not in html["multiValueHeaders"]  # no Origin, no CORS headers


def test_only_the_configured_origin_is_allowed() -> None:
    cors = rest.Cors(allow_origin="https://console.example")
    assert cors.headers_for("https://console.example")["Access-Control-Allow-Origin"] == "https://console.example"
    assert cors.headers_for("https://evil.example") == {}
    assert cors.headers_for(None) == {}


def test_a_preflight_lists_the_methods_and_an_unknown_route_is_404() -> None:
    preflight = OURS.resolve(_event("OPTIONS", "/nowhere", headers={"Origin": "https://x.example"}), None)
    assert preflight["statusCode"] == 204
    assert preflight["multiValueHeaders"]["Access-Control-Allow-Methods"] == ["GET,OPTIONS,POST"]
    assert OURS.resolve(_event("GET", "/nowhere"), None)["statusCode"] == 404


def test_bytes_are_answered_in_base64() -> None:
    app = rest.App()

    @app.get("/raw")
    def raw() -> Response[bytes]:
        return Response(200, "application/pdf", b"%PDF")

    answer = app.resolve(_event("GET", "/raw"), None)
    assert answer["isBase64Encoded"] is True and answer["body"] == "JVBERg=="


def test_headers_are_read_in_any_case() -> None:
    headers = rest.Headers({"If-None-Match": '"x"'})
    assert headers.get("if-none-match") == '"x"' and headers["IF-NONE-MATCH"] == '"x"' and "If-None-Match" in headers


class ThingDetail(ThingOut):
    secret: str = "not for the answer"


def test_another_model_than_declared_is_answered_as_the_declared_one_or_refused() -> None:
    app = rest.App()

    @app.get("/sub")
    def sub() -> ThingOut:
        return ThingDetail(id="1", name="a", weight=Decimal(1))

    @app.get("/wrong")
    def wrong() -> ThingOut:
        return ThingIn(name="a", weight=Decimal(1))  # type: ignore[return-value]

    assert json.loads(app.resolve(_event("GET", "/sub"), None)["body"]) == {
        "id": "1",
        "name": "a",
        "weight": "1",
        "tags": [],
    }
    theirs = openapi.powertools_app(app)
    assert json.loads(theirs.resolve(_event("GET", "/sub"), None)["body"]) == json.loads(
        app.resolve(_event("GET", "/sub"), None)["body"]
    )
    with pytest.raises(ValidationError):
        app.resolve(_event("GET", "/wrong"), None)


def test_an_unhandled_error_reaches_the_caller_of_resolve() -> None:
    app = rest.App()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        app.resolve(_event("GET", "/boom"), None)

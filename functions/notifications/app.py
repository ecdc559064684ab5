"""NotificationsFunction: the reviewers' contact registry and the unsubscribe page of reminder emails."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

import json
from typing import Any

from grading import dal, snapstart
from grading.errors import DomainError
from grading.http import build_app, make_handler
from grading.identity import Role, caller_from_event
from grading.routes import notifications

app = build_app(notifications.router)
_resolve = make_handler(app)
snapstart.prime(dal.client)


def _refusal(error: DomainError) -> dict[str, Any]:
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    headers = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}
    return {"statusCode": error.status, "headers": headers, "body": json.dumps(body), "isBase64Encoded": False}


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    resource, method = event.get("resource") or "", event.get("httpMethod")
    if resource.startswith("/v1/reviewers"):
        # Authorization before validation: a caller who is not an admin is refused before its body is read.
        try:
            caller_from_event(event).require(Role.ADMIN)
        except DomainError as refused:
            return _refusal(refused)
    elif resource == "/unsubscribe/{token}" and method == "POST":
        # A mail client's one-click POST carries a form body (List-Unsubscribe=One-Click); the token is the request.
        event = {**event, "body": None, "isBase64Encoded": False}
    return _resolve(event, context)


startup.done()  # the last: what the init built is frozen, the collector back on

"""What API Gateway and Lambda hand a function: REST (v1) proxy events, Cognito claims from a bearer JWT
(decoded WITHOUT verification: local only), and a Lambda context object."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt

_LOCAL_KEY = "local-runner-dummy-key-not-a-secret!"  # 32+ bytes so PyJWT does not warn
LOCAL_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local"


def api_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    query: dict[str, str | list[str]] | None = None,
    headers: dict[str, str] | None = None,
    body: str | dict[str, Any] | list[Any] | None = None,
    claims: dict[str, Any] | None = None,
    stage: str = "prod",
    is_base64: bool = False,
    source_ip: str = "127.0.0.1",
    now: datetime | None = None,
    base_path: str | None = None,
) -> dict[str, Any]:
    """A REST API Lambda proxy event, stamped with `now` (the wall clock by default). Empty maps are null, as API
    Gateway sends them. `requestContext.path` is the path the client asked for: with the stage in front on an
    execute-api host, without it where there is no stage prefix (`base_path=""`: a custom domain, or the local
    runner)."""
    method, resource = method.upper(), resource or path
    multi_query = {k: v if isinstance(v, list) else [v] for k, v in (query or {}).items()}
    now = now or datetime.now(UTC)
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "resourceId": uuid.uuid4().hex[:6],
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {
            "sourceIp": source_ip,
            "userAgent": next((v for k, v in (headers or {}).items() if k.lower() == "user-agent"), None),
            "accountId": None,
            "caller": None,
            "user": None,
            "userArn": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
        },
        "path": f"{f'/{stage}' if base_path is None else base_path}{path}",
        "resourcePath": resource,
        "httpMethod": method,
        "apiId": "local",
        "domainName": "localhost",
        "protocol": "HTTP/1.1",
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers) if headers is not None else None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} if headers is not None else None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": context,
        "body": json.dumps(body) if isinstance(body, (dict, list)) else body,
        "isBase64Encoded": is_base64,
    }


def claims_from_authorization(header: str | None) -> dict[str, Any] | None:
    """Claims of `Authorization: Bearer <jwt>` (the Bearer prefix is optional, as with Cognito authorizers).
    The signature is NOT verified; expiry is, since Cognito would reject an expired token."""
    if not header:
        return None
    token = header.split(" ", 1)[1] if header.lower().startswith("bearer ") else header
    try:
        claims: dict[str, Any] = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp < time.time():
        return None
    return claims


def make_token(sub: str, groups: list[str] | tuple[str, ...] | str = (), **extra: Any) -> str:
    """A Cognito-like ID token, signed with a dummy key, valid for one hour. `cognito:groups` is the
    comma-separated string that REST API Cognito authorizers put in requestContext claims."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "sub": sub,
        "cognito:username": sub,
        "email": f"{sub}@example.local",
        "token_use": "id",
        "iss": LOCAL_ISSUER,
        "aud": "local",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
    }
    group_list = groups.split(",") if isinstance(groups, str) else list(groups)
    if [g for g in group_list if g]:
        payload["cognito:groups"] = ",".join(g for g in group_list if g)
    payload.update(extra)
    return jwt.encode(payload, _LOCAL_KEY, algorithm="HS256")


class LambdaContext:
    """The attributes of the Python runtime's context object that handlers and Powertools use."""

    def __init__(self, function_name: str, memory_mb: int = 128, timeout_s: int = 3, arn: str = "") -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.invoked_function_arn = arn or f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

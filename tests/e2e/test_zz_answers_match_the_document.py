"""The real answers of the e2e suite match /openapi.json (openapi-core): status codes, content types and bodies.

Runs after the other e2e modules (its name sorts last) and checks every exchange they made with the API; run alone,
it makes a few of its own first."""

from __future__ import annotations

from collections import Counter

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from tests.e2e.conftest import EXCHANGES, LocalStack

# The local runner's hooks, the document itself, and the pages people open (HTML, API.md "Pages for people"),
# which are not part of the JSON API's contract.
NOT_IN_THE_DOCUMENT = ("/_local/", "/openapi.json", "/docs", "/c/", "/notices", "/unsubscribe/")


def _own_exchanges(stack: LocalStack) -> None:
    provider = stack.headers("contract-provider", "providers")
    requests.get(f"{stack.api}/v1/me/applications", headers=provider, timeout=10)
    requests.get(f"{stack.api}/v1/applications/NOSUCH", headers=provider, timeout=10)
    requests.get(f"{stack.api}/v1/notices", timeout=10)
    requests.post(f"{stack.api}/v1/applications", json={"provider": {}}, headers=provider, timeout=10)
    requests.get(f"{stack.api}/v1/applications?status=submitted", headers=provider, timeout=10)  # 403


def test_every_answer_of_the_e2e_suite_matches_the_document(local_stack: LocalStack) -> None:
    _own_exchanges(local_stack)
    openapi = OpenAPI.from_dict(requests.get(f"{local_stack.api}/openapi.json", timeout=10).json())
    checked: Counter[int] = Counter()
    problems = []
    for response in list(EXCHANGES):
        url = response.request.url or ""
        path = url.removeprefix(local_stack.api).split("?")[0]
        if not url.startswith(local_stack.api + "/") or path.startswith(NOT_IN_THE_DOCUMENT):
            continue  # the backend (presigned uploads, PDFs) and the local runner's own hooks
        request = RequestsOpenAPIRequest(response.request)
        try:
            openapi.validate_response(request, RequestsOpenAPIResponse(response))
        except (PathNotFound, OperationNotFound):
            assert response.status_code == 404, f"{response.request.method} {path} is answered but not documented"
        except Exception as exc:
            problems.append(
                f"{response.request.method} {path} -> {response.status_code}: {exc!r} {response.text[:300]}"
            )
        checked[response.status_code] += 1
    assert not problems, "\n".join(problems)
    assert checked[200] >= 2 and checked[404] >= 1 and checked[422] >= 1 and checked[403] >= 1, checked

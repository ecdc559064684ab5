"""A client generated from the served /openapi.json (openapi-python-client) works against `python -m local serve`:
a success parses into its model, a 404 into the Error model."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import LocalStack

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
OPTIONS = ["--meta", "none", "--fail-on-warning"]  # a warning means a part of the API was left out
CONFIG = "package_name_override: grading_client\nproject_name_override: grading-client\npost_hooks: []\n"


@pytest.fixture(scope="module")
def client_package(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Any:
    where = tmp_path_factory.mktemp("client")
    (where / "openapi.json").write_bytes(requests.get(f"{local_stack.api}/openapi.json", timeout=10).content)
    (where / "config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--config", "config.yaml", *OPTIONS],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("grading_client")
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == "grading_client" or m.startswith("grading_client.")]:
            del sys.modules[name]


def test_a_generated_client_parses_a_success_and_a_404(local_stack: LocalStack, client_package: Any) -> None:
    from grading_client.api.applications import get_application, submit_application  # type: ignore[import-not-found]
    from grading_client.api.notices import get_notice  # type: ignore[import-not-found]
    from grading_client.models import ApplicationCreated, ApplicationIn, ApplicationView, Error  # type: ignore

    token = local_stack.token("client-provider", "providers")
    client = client_package.AuthenticatedClient(base_url=local_stack.api, token=token)
    body = ApplicationIn.from_dict(
        {
            "provider": {
                "name": "生成客户端有限公司",
                "credit_code": "91350100M000500Y1Q",
                "category": "it_services",
                "region": "福建省福州市",
                "contact": {"name": "李四", "phone": "13900000000", "email": "li@example.cn"},
            },
            "qualifications": [
                {"type": "ISO 9001", "number": "Q-C-1", "issuer": "中国质量认证中心", "valid_until": "2030-12-31"}
            ],
            "service_cases": [{"client": "某区政府", "description": "运维", "year": 2025}],
        }
    )
    created = submit_application.sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, ApplicationCreated) and created.parsed.status == "submitted"

    view = get_application.sync(created.parsed.application_id, client=client)
    assert isinstance(view, ApplicationView)
    assert view.application_id == created.parsed.application_id and view.provider["credit_code"] == "91350100M000500Y1Q"

    missing = get_application.sync_detailed("NOSUCHAPPLICATION", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, Error) and missing.parsed.error.code == "NOT_FOUND"

    public = client_package.Client(base_url=local_stack.api)  # public routes need no token
    unknown = get_notice.sync_detailed("NOSUCHNOTICE", client=public)
    assert unknown.status_code == 404 and isinstance(unknown.parsed, Error)

"""Every function has sample events in events/<LogicalId>/, and each one runs (what `make invoke` does)."""

from __future__ import annotations

import json

import pytest

from local.host import FunctionHost
from local.template import Stack, load_stack
from tests.conftest import ROOT

SAMPLES = sorted((ROOT / "events").glob("*/*.json"))


def test_every_function_has_a_sample_event() -> None:
    stack = load_stack(str(ROOT / "template.yaml"))
    with_samples = {path.parent.name for path in SAMPLES}
    assert set(stack.functions) <= with_samples, set(stack.functions) - with_samples
    assert with_samples <= set(stack.functions), "a sample folder names no function"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sample_event_runs(path, stack: Stack, host: FunctionHost) -> None:  # type: ignore[no-untyped-def]
    result = host.invoke(path.parent.name, json.loads(path.read_text()))
    if "statusCode" in result:
        assert result["statusCode"] < 500, result
        types = [*(result.get("multiValueHeaders") or {}).get("Content-Type", [])]
        types.append((result.get("headers") or {}).get("Content-Type", ""))
        if result["statusCode"] >= 400 and any(t.startswith("text/html") for t in types):
            assert '<html lang="zh-CN">' in result["body"]  # a page for people answers in a page (API.md)
        elif result["statusCode"] >= 400:
            assert set(json.loads(result["body"])["error"]) == {"code", "message", "details"}
    elif "batchItemFailures" in result:
        assert result["batchItemFailures"] == []
    else:  # a scheduled job's report
        assert result["failures"] == []

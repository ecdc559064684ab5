"""Every function has sample events in events/<LogicalId>/, and each one runs (what `make invoke` does)."""

from __future__ import annotations

import json
import re

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
        if result["statusCode"] >= 400:
            assert set(json.loads(result["body"])["error"]) == {"code", "message", "details"}
    elif "batchItemFailures" in result:
        assert result["batchItemFailures"] == []
    else:  # a scheduled job's report
        assert result["failures"] == []


def test_no_sample_event_uses_the_readme_walkthroughs_credit_code() -> None:
    """`make invoke` with a sample after the walk-through must not fail on the walk-through's application."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    walkthrough = readme.split("<!-- walkthrough:start -->")[1].split("<!-- walkthrough:end -->")[0]
    codes = set(re.findall(r"\b[0-9A-HJ-NPQRTUWXY]{18}\b", walkthrough)) - {"0" * 18}
    assert codes == {"91350100M000100Y43"}
    for path in SAMPLES:
        text = path.read_text(encoding="utf-8")
        assert not codes & set(re.findall(r"[0-9A-Z]{18}", text)), f"{path.name} uses the walk-through's credit code"

"""Every function has sample events in events/<LogicalId>/, each one runs (what `make invoke` does) and answers what
events/expected.json says it must: the HTTP status of an API event, and one field of the answer, exactly."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.host import FunctionHost
from local.template import Stack, load_stack
from tests.conftest import ROOT

SAMPLES = sorted((ROOT / "events").glob("*/*.json"))
EXPECTED: dict[str, dict[str, Any]] = {
    k: v for k, v in json.loads((ROOT / "events" / "expected.json").read_text(encoding="utf-8")).items() if k != "//"
}


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_function_has_a_sample_event() -> None:
    stack = load_stack(str(ROOT / "template.yaml"))
    with_samples = {path.parent.name for path in SAMPLES}
    assert set(stack.functions) <= with_samples, set(stack.functions) - with_samples
    assert with_samples <= set(stack.functions), "a sample folder names no function"


def test_every_sample_event_states_what_it_must_answer() -> None:
    assert sorted(EXPECTED) == sorted(_name(p) for p in SAMPLES), "events/expected.json and the samples differ"
    for name, expected in EXPECTED.items():
        api = "resource" in json.loads((ROOT / "events" / name).read_text(encoding="utf-8"))
        assert set(expected) == ({"status", "field", "value"} if api else {"field", "value"}), name


def _field(answer: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        answer = answer[int(part)] if isinstance(answer, list) else answer[part]
    return answer


@pytest.mark.parametrize("path", SAMPLES, ids=_name)
def test_sample_event_answers_as_stated(path: Path, stack: Stack, host: FunctionHost) -> None:
    expected = EXPECTED[_name(path)]
    result = host.invoke(path.parent.name, json.loads(path.read_text()))
    if "statusCode" in result:
        assert result["statusCode"] == expected["status"], result
        types = [*(result.get("multiValueHeaders") or {}).get("Content-Type", [])]
        types.append((result.get("headers") or {}).get("Content-Type", ""))
        if any(t.startswith("text/html") for t in types):  # a page for people answers in a page (API.md)
            found = re.search(r'<html lang="([^"]+)">', result["body"])
            answer = {"lang": found.group(1) if found else None, "body": result["body"]}
        else:
            answer = json.loads(result["body"])
            if result["statusCode"] >= 400:
                assert set(answer["error"]) == {"code", "message", "details"}
    else:
        answer = result
    assert _field(answer, expected["field"]) == expected["value"], answer
    if "failures" in result:  # a scheduled job's report
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

"""local/motofix.py: every LocalBackend (serve, the tests, the bench) runs moto with the fixes, each checked against
moto's own answers when the backend starts; a fix that answers differently fails the check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local import motofix
from local.backend import LocalBackend, internal_client


@pytest.fixture
def fresh_check(backend: LocalBackend) -> Iterator[None]:
    """Let check() run again in this process (it runs once per region), and leave it as it was."""
    saved = dict(motofix._checked)
    motofix._checked.clear()
    try:
        yield
    finally:
        motofix._checked.clear()
        motofix._checked.update(saved)


def _no_scratch_table_left() -> bool:
    return motofix.SCRATCH_TABLE not in internal_client("dynamodb").list_tables()["TableNames"]


def test_a_started_backend_has_every_fix_checked(backend: LocalBackend) -> None:
    assert motofix.installed()
    assert motofix._checked.get("us-east-1") is True
    assert _no_scratch_table_left()


def test_the_check_passes_on_the_fixes_as_they_are(fresh_check: None) -> None:
    motofix.check()
    assert motofix._checked["us-east-1"] is True
    assert _no_scratch_table_left()


def test_a_rollback_that_restores_nothing_fails_the_check(fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(motofix, "_restore", lambda *args: None)
    with pytest.raises(AssertionError, match="cancelled transaction left writes"):
        motofix.check()
    assert "us-east-1" not in motofix._checked
    assert _no_scratch_table_left()


def test_a_query_that_answers_differently_fails_the_check(fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    patched = Table.query

    def drops_the_last_item(self: Any, *args: Any, **kwargs: Any) -> Any:
        items, scanned, last = patched(self, *args, **kwargs)
        return items[:-1], scanned, last

    drops_the_last_item.original = patched.original  # type: ignore[attr-defined]
    monkeypatch.setattr(Table, "query", drops_the_last_item)
    with pytest.raises(AssertionError, match="patched Query differs"):
        motofix.check()
    assert _no_scratch_table_left()


def test_items_built_differently_from_motos_fail_the_check(fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    patched = Item.__init__

    def loses_an_attribute(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        patched(self, hash_key, range_key, attrs)
        if motofix._state["fast_size"]:  # the fix's path only: moto's own keeps every attribute
            self.attrs.pop("b", None)

    monkeypatch.setattr(Item, "__init__", loses_an_attribute)
    with pytest.raises(AssertionError, match="items built with the fix differ"):
        motofix.check()
    assert _no_scratch_table_left()


def test_a_kept_service_list_or_jsonpath_that_answers_differently_fails_the_check(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jsonpath_ng.ext
    from moto import backends

    kept = backends.list_of_moto_modules
    monkeypatch.setattr(backends, "list_of_moto_modules", lambda: tuple(kept())[1:])
    with pytest.raises(AssertionError, match="list of moto's services differs"):
        motofix.check()
    monkeypatch.setattr(backends, "list_of_moto_modules", kept)
    motofix._checked.clear()
    monkeypatch.setattr(jsonpath_ng.ext, "parse", lambda path: motofix._originals["jsonpath_parse"]("$.id"))
    with pytest.raises(AssertionError, match=r"JSONPath .* finds differently"):
        motofix.check()
    assert _no_scratch_table_left()


def test_an_event_put_on_the_bus_reaches_its_rule_target_with_the_kept_jsonpaths(backend: LocalBackend) -> None:
    """moto's EventBridge delivers an event to a rule's queue as before (the input paths come from the cache)."""
    import json

    events, sqs = internal_client("events"), internal_client("sqs")
    url = sqs.create_queue(QueueName="motofix-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="motofix-rule", EventPattern=json.dumps({"source": ["motofix"]}))
    transformer = {"InputPathsMap": {"code": "$.detail.code"}, "InputTemplate": '{"code": "<code>"}'}
    events.put_targets(Rule="motofix-rule", Targets=[{"Id": "q", "Arn": arn, "InputTransformer": transformer}])
    try:
        for n in range(3):
            entry = {"Source": "motofix", "DetailType": "T", "Detail": json.dumps({"code": f"c{n}"})}
            assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
        bodies = [json.loads(m["Body"]) for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
        assert sorted(b["code"] for b in bodies) == ["c0", "c1", "c2"]
    finally:
        events.remove_targets(Rule="motofix-rule", Ids=["q"])
        events.delete_rule(Name="motofix-rule")
        sqs.delete_queue(QueueUrl=url)

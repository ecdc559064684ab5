"""SnapStart priming: on Lambda's runtime (snapshot_restore_py present) the before-snapshot hook builds the
function's clients; anywhere else nothing is registered and nothing is built."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from grading import snapstart

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_client_left_behind() -> Any:
    """A client primed here has no endpoint of a test backend: cached, it would send a later test's calls to AWS."""
    from grading import dal
    from grading.store import bus, mail, objects, queue

    factories = [dal.client, objects.client, queue.sqs, bus.client, mail.client]
    yield
    for factory in factories:
        factory.cache_clear()


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """A stand-in for the runtime's snapshot_restore_py: collects the hooks registered."""
    hooks: list[Any] = []
    module = types.ModuleType("snapshot_restore_py")
    module.register_before_snapshot = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", module)
    return hooks


def test_the_hook_builds_every_client_before_the_snapshot(runtime: list[Any]) -> None:
    built: list[str] = []
    assert snapstart.prime(lambda: built.append("dynamodb"), lambda: built.append("s3"))
    assert built == []  # registered, not run: the runtime runs it after the init
    (hook,) = runtime
    hook()
    assert built == ["dynamodb", "s3"]


def test_off_lambda_nothing_is_registered_or_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails, as off Lambda's runtime
    built: list[str] = []
    assert not snapstart.prime(lambda: built.append("dynamodb"))
    assert built == []


def test_an_api_function_primes_its_dynamodb_client(runtime: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from grading import dal

    monkeypatch.syspath_prepend(str(ROOT / "functions" / "providers"))
    monkeypatch.delitem(sys.modules, "app", raising=False)
    dal.client.cache_clear()
    importlib.import_module("app")
    monkeypatch.delitem(sys.modules, "app")
    assert dal.client.cache_info().currsize == 0  # the import builds no client
    from grading.modelbase import Model

    class NotUsedYet(Model):  # as a model the function imported and no request has used
        name: str

    assert not NotUsedYet.__pydantic_complete__  # models are built on first use, off SnapStart
    for hook in runtime:
        hook()
    assert dal.client.cache_info().currsize == 1
    assert NotUsedYet.__pydantic_complete__  # and all of them before the snapshot

"""What `serve` keeps across a restart: the tables' items and the buckets' objects, in one JSON file under `.local/`,
and `.local/serve.json`, which tells `make invoke`, `make events` and `make verify-audit` where the running serve is.

The snapshot is written when serve stops and, while it runs, a moment after the last change (a `kill -9` loses at
most that moment). Restored items are written before the stream pollers start, and the pollers then begin at the
stream's end: a restart replays no domain event and renders no artifact twice. Queued messages (a re-grading run in
flight) and the local event list are not kept. Object versions come back as new versions of the same keys.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from local.backend import LocalBackend, internal_client
from local.template import REPO_ROOT, Stack

log = logging.getLogger("local.state")
STATE_DIR = Path(os.environ.get("LOCAL_STATE_DIR") or REPO_ROOT / ".local")
SERVE_FILE = STATE_DIR / "serve.json"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)  # a reader (or a crash) never sees half a file


def _items_in_process(name: str, region: str, backend: LocalBackend) -> list[dict[str, Any]] | None:
    """A table's items read from moto's in-process table under the backend's lock (what a Scan answers, without
    the pages' parsing and serialising: at 20,000 items a Scan held the backend for seconds); None if not there."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    with backend.middleware.lock:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].tables.get(name)
        if table is None:
            return None
        return [json.loads(json.dumps(item.to_json()["Attributes"])) for item in table.all_items()]


def snapshot(stack: Stack, backend: LocalBackend | None = None) -> dict[str, Any]:
    """Every item of every table and the current version of every object, read through the backend's API (the
    tables straight from moto when `backend` is the in-process one)."""
    ddb, s3 = internal_client("dynamodb", stack.region), internal_client("s3", stack.region)
    tables: dict[str, list[dict[str, Any]]] = {}
    for logical, name in stack.tables.items():
        direct = _items_in_process(name, stack.region, backend) if backend is not None else None
        if direct is not None:
            tables[logical] = direct
            continue
        items: list[dict[str, Any]] = []
        # A Scan of the local backend, by the local runner only: no request path or job of the system scans.
        for page in ddb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True):
            items += page["Items"]
        tables[logical] = items
    buckets: dict[str, list[dict[str, Any]]] = {}
    for logical, name in stack.buckets.items():
        objects = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for entry in page.get("Contents", []):
                got = s3.get_object(Bucket=name, Key=entry["Key"])
                objects.append(
                    {
                        "key": entry["Key"],
                        "content_type": got.get("ContentType", "binary/octet-stream"),
                        "metadata": got.get("Metadata", {}),
                        "body": base64.b64encode(got["Body"].read()).decode(),
                    }
                )
        buckets[logical] = objects
    return {"version": 1, "tables": tables, "buckets": buckets}


def restore(stack: Stack, state: dict[str, Any]) -> int:
    """Write a snapshot back into an empty backend; returns how many items and objects it restored."""
    ddb, s3 = internal_client("dynamodb", stack.region), internal_client("s3", stack.region)
    count = 0
    for logical, items in state.get("tables", {}).items():
        if logical not in stack.tables:
            continue
        for start in range(0, len(items), 25):
            requests: Any = {stack.tables[logical]: [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
            while requests:
                requests = ddb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or None
        count += len(items)
    for logical, objects in state.get("buckets", {}).items():
        if logical not in stack.buckets:
            continue
        for obj in objects:
            s3.put_object(
                Bucket=stack.buckets[logical],
                Key=obj["key"],
                Body=base64.b64decode(obj["body"]),
                ContentType=obj["content_type"],
                Metadata=obj["metadata"],
            )
        count += len(objects)
    return count


class StateKeeper:
    """Loads the snapshot at start, saves it a moment after changes and at stop."""

    def __init__(self, stack: Stack, backend: LocalBackend, path: Path, quiet_seconds: float = 1.0) -> None:
        self.stack, self.backend, self.path, self.quiet = stack, backend, path, quiet_seconds
        self._stop = threading.Event()
        self._saved_at = 0
        self._thread = threading.Thread(target=self._run, name="state", daemon=True)

    def load(self) -> int:
        if not self.path.exists():
            return 0
        return restore(self.stack, json.loads(self.path.read_text(encoding="utf-8")))

    def save(self) -> None:
        changes = len(self.backend.request_log)
        _write_atomically(self.path, json.dumps(snapshot(self.stack, self.backend), ensure_ascii=False))
        self._saved_at = changes

    def start(self) -> None:
        self._saved_at = len(self.backend.request_log)
        self._thread.start()

    def _run(self) -> None:
        seen = self._saved_at
        while not self._stop.wait(self.quiet):
            now = len(self.backend.request_log)
            if now != seen:  # still changing: wait for a quiet moment
                seen = now
            elif now != self._saved_at:
                try:
                    self.save()
                except Exception:
                    log.exception("could not save the local state to %s", self.path)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)


def write_serve_file(path: Path, api: str, backend: str) -> None:
    _write_atomically(path, json.dumps({"api": api, "backend": backend, "pid": os.getpid()}))


def remove_serve_file(path: Path) -> None:
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running(what: str, path: Path = SERVE_FILE) -> str:
    """The `api` or `backend` URL of the running serve, from its serve.json."""
    try:
        served = json.loads(path.read_text())
        url, pid = str(served[what]), int(served["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        raise SystemExit(f"no running `make serve` found ({path} is missing): start one first") from None
    if not _alive(pid):  # a serve killed with -9 left its file behind
        raise SystemExit(f"no running `make serve` found (process {pid} of {path} has ended): start one first")
    return url


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True

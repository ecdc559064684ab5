"""`make serve`'s event sources in a process of their own (issue 20).

On AWS the stream and queue consumers are other Lambda functions, running beside the API's. In one process they
take turns with the API for one interpreter lock: under load a quarter of serve's time went to the pollers, and
every request waited for it. Here the pollers, with their own FunctionHost, run in a child process (spawned, so it
shares nothing with the parent but the backend's URL), and talk to the same moto backend over HTTP, as they did.

The parent keeps what the API server needs of them, `drain()`, over a pipe. The child stops when asked, or when
its parent is gone (the pipe closes); it ignores Ctrl-C, which the terminal sends to both, so that the parent stops
it in order."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection
from typing import Any

_START_TIMEOUT = 120.0


class PollerProcess:
    """EventPollers over the template at `template`, in a child process, against the backend at `backend_url`."""

    def __init__(self, template: str, backend_url: str, env_overrides: dict[str, str] | None = None) -> None:
        self.template, self.backend_url = template, backend_url
        self.env_overrides = dict(env_overrides or {})
        self._lock = threading.Lock()  # one request on the pipe at a time
        self._conn: Connection | None = None
        self._process: Any = None

    def start(self, skip_existing: bool = False) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        args = (child, self.template, self.backend_url, skip_existing, self.env_overrides)
        self._process = context.Process(target=_child_main, args=args, name="local-pollers", daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(_START_TIMEOUT):
            self.stop()
            raise RuntimeError(f"the pollers' process did not start within {_START_TIMEOUT:.0f}s")
        kind, message = parent.recv()
        if kind != "started":
            self.stop()
            raise RuntimeError(f"the pollers' process failed to start: {message}")

    def drain(self, timeout: float = 10.0) -> None:
        """As EventPollers.drain: TimeoutError if the streams and queues are still busy after `timeout`."""
        with self._lock:
            if self._conn is None or not self._process.is_alive():
                raise TimeoutError("the pollers' process is not running")
            self._conn.send(("drain", timeout))
            if not self._conn.poll(timeout + 30):
                raise TimeoutError(f"the pollers' process did not answer within {timeout + 30:.0f}s")
            kind, message = self._conn.recv()
        if kind != "drained":
            raise TimeoutError(message)

    def stop(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(OSError):  # already gone
                    self._conn.send(("stop", None))
            if self._process is not None:
                self._process.join(timeout=20)
                if self._process.is_alive():
                    self._process.terminate()
                    self._process.join(timeout=5)
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _child_main(
    conn: Connection, template: str, backend_url: str, skip_existing: bool, env_overrides: dict[str, str]
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, in order
    import logging

    from local.backend import use_endpoint
    from local.host import FunctionHost
    from local.pollers import EventPollers
    from local.template import load_stack

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        use_endpoint(backend_url)
        stack = load_stack(template)
        host = FunctionHost(stack, isolate_layer=True)
        host.env_overrides.update(env_overrides)
        pollers = EventPollers(stack, host)
        pollers.start(skip_existing=skip_existing)
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("started", None))
    try:
        while True:
            try:
                command, argument = conn.recv()
            except EOFError:  # the parent is gone
                return
            if command == "stop":
                return
            if command == "drain":
                try:
                    pollers.drain(float(argument))
                except TimeoutError as exc:
                    conn.send(("busy", str(exc)))
                else:
                    conn.send(("drained", None))
    finally:
        pollers.stop()

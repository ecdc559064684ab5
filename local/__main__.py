"""Command line: `serve` (backend + pollers + API, like `sam local start-api`), `token` (a local JWT)
and `invoke` (one function against a running backend, like `sam local invoke`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from local.apigw import make_token
from local.backend import LocalBackend, use_endpoint
from local.events import EventRecorder
from local.host import FunctionHost
from local.poller_process import PollerProcess
from local.pollers import scheduled_event
from local.server import DRAIN_PATH, ApiServer
from local.state import STATE_DIR, StateKeeper, remove_serve_file, running, write_serve_file
from local.template import Stack, load_stack


def serve(args: argparse.Namespace) -> int:
    # Ctrl-C and `kill` both stop cleanly, from the first moment (a background job inherits SIGINT ignored, so set
    # it explicitly); what was started by then is stopped in the finally below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = load_stack(args.template)
    state_dir = Path(args.state_dir)
    backend = LocalBackend(port=args.backend_port)
    keeper: StateKeeper | None = None
    pollers: PollerProcess | None = None
    recorder: EventRecorder | None = None
    api: ApiServer | None = None
    serving = False  # the state is saved at the stop only if it was all loaded and served
    try:
        backend_url = backend.start()
        backend.create_resources(stack)
        keeper = StateKeeper(stack, backend, state_dir / "state.json")
        if args.fresh:
            (state_dir / "state.json").unlink(missing_ok=True)
        restored = keeper.load()
        host = FunctionHost(stack, isolate_layer=True)
        # The stream and queue consumers run in a process of their own, as other Lambda functions would beside
        # the API's, instead of taking turns with it for one interpreter lock (local/poller_process.py).
        pollers = PollerProcess(str(Path(args.template).resolve()), backend_url)
        recorder = EventRecorder(stack)
        recorder.start()
        api = ApiServer(stack, host, pollers, recorder)
        api_url = api.bind(port=args.port)  # listening, not answering until the pollers run
        # Links and QR codes point at this server (or at PUBLIC_BASE_URL if given, e.g. a LAN address for a phone).
        host.env_overrides["PUBLIC_BASE_URL"] = pollers.env_overrides["PUBLIC_BASE_URL"] = (
            os.environ.get("PUBLIC_BASE_URL") or api_url
        )
        pollers.start(skip_existing=restored > 0)
        api.serve()
        write_serve_file(state_dir / "serve.json", api_url, backend_url)
        keeper.start()
        serving = True
        _banner(stack, api_url, backend_url, state_dir, restored)
        # Wake up twice a second: a signal may be delivered to any of serve's threads, and only the main thread runs
        # Python's handler, at its next step; a wait without a timeout would not take one until it ended.
        idle = threading.Event()
        while not idle.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        if api is not None:
            api.stop()
        if pollers is not None:
            pollers.stop()
        if keeper is not None and serving:
            keeper.stop()
            keeper.save()  # everything is quiet now: the last snapshot is a consistent one
        if recorder is not None:
            recorder.stop()
        backend.stop()
        remove_serve_file(state_dir / "serve.json")
    return 0


def _banner(stack: Stack, api_url: str, backend_url: str, state_dir: Path, restored: int) -> None:
    print("!" * 78)
    print("!! LOCAL ONLY: bearer tokens are decoded WITHOUT signature verification.   !!")
    print("!" * 78)
    print(f"API        {api_url}   (routes start with /v1; no stage prefix)")
    print(f"Pages      {api_url}/notices (the notice board), {api_url}/c/<number> (what a certificate's QR opens)")
    print(f"Backend    {backend_url}   reach the same state with: export AWS_ENDPOINT_URL={backend_url}")
    for kind, names in (("Table", stack.tables), ("Bucket", stack.buckets), ("Queue", stack.queues)):
        for logical, name in names.items():
            print(f"{kind:<10} {logical} = {name}")
    print(f"Functions  {', '.join(stack.functions)}")
    print(f"Drain      curl -X POST {api_url}{DRAIN_PATH}   (returns once streams and queues are processed)")
    print(f"Outbox     curl {api_url}/_local/outbox   (the emails sent through the local SES)")
    print(f"Token      TOKEN=$({sys.executable} -m local token --sub u1 --groups providers)")
    print(f'           curl -H "Authorization: Bearer $TOKEN" {api_url}/v1/me/applications')
    print(f"State      {state_dir / 'state.json'}: {restored} items and objects restored; kept across restarts")
    print("           (`make serve FRESH=1` or --fresh starts empty)")
    print("Ctrl-C to stop.", flush=True)


def token(args: argparse.Namespace) -> int:
    print(make_token(args.sub, [g for g in args.groups.split(",") if g]))
    return 0


def invoke(args: argparse.Namespace) -> int:
    stack = load_stack(args.template)
    if args.function not in stack.functions:
        print(
            f"unknown function {args.function!r}; valid: {', '.join(sorted(stack.functions))}",
            file=sys.stderr,
        )
        return 2
    use_endpoint(args.backend or running("backend"))
    host = FunctionHost(stack)
    if not os.environ.get("PUBLIC_BASE_URL"):
        # Links and QR codes point at the running serve, as they do for what serve itself invokes, not at an AWS
        # URL the template names (issue 17). A backend given without a serve keeps the template's.
        with contextlib.suppress(SystemExit):
            host.env_overrides["PUBLIC_BASE_URL"] = running("api")
    if args.schedule is not None:
        event = scheduled_event(stack, args.function, args.schedule or None)
    elif args.event_file:
        event = json.loads(sys.stdin.read() if args.event_file == "-" else Path(args.event_file).read_text())
    else:
        print("give EVENT_FILE (or - for stdin) or --schedule [NAME]", file=sys.stderr)
        return 2
    try:
        # Like `sam local invoke`: the function's logs go to stderr, only the result to stdout.
        with contextlib.redirect_stdout(sys.stderr):
            result = host.invoke(args.function, event)
    except Exception as exc:  # answer like `sam local invoke`: Lambda's error payload, non-zero exit
        error = {"errorType": type(exc).__name__, "errorMessage": str(exc), "stackTrace": traceback.format_exc()}
        print(json.dumps(error, indent=2, ensure_ascii=False))
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def events(args: argparse.Namespace) -> int:
    """The last domain events of a running `serve`, one JSON object a line (oldest first)."""
    import urllib.request

    query = f"?limit={args.limit}" + (f"&detail_type={args.detail_type}" if args.detail_type else "")
    api = args.api or running("api")
    with urllib.request.urlopen(f"{api}/_local/events{query}", timeout=10) as reply:  # noqa: S310 - loopback
        for event in json.loads(reply.read())["items"]:
            print(json.dumps({k: event.get(k) for k in ("time", "detail-type", "detail")}, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__)
    parser.add_argument("--template", default="template.yaml")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="backend + pollers + API on localhost")
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    p.add_argument("--backend-port", type=int, default=5000)
    p.add_argument("--state-dir", default=str(STATE_DIR), help="where the state and serve.json are kept")
    p.add_argument("--fresh", action="store_true", help="start empty (the kept state is dropped)")
    p.set_defaults(run=serve)
    p = sub.add_parser("token", help="print a local (unverified) JWT")
    p.add_argument("--sub", required=True)
    p.add_argument("--groups", default="", help="comma-separated, e.g. providers,admins")
    p.set_defaults(run=token)
    p = sub.add_parser("invoke", help="invoke one function by logical id against a running backend")
    p.add_argument("function")
    p.add_argument("event_file", nargs="?", help="JSON event file, or - for stdin")
    p.add_argument("--schedule", nargs="?", const="", help="send the function's Schedule event instead")
    p.add_argument("--backend", default=None, help="default: the running serve's (.local/serve.json)")
    p.set_defaults(run=invoke)
    p = sub.add_parser("events", help="print the last domain events of a running serve")
    p.add_argument("--api", default=None, help="default: the running serve's (.local/serve.json)")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--detail-type", default=None)
    p.set_defaults(run=events)
    p = sub.add_parser("where", help="print the running serve's api or backend URL (from .local/serve.json)")
    p.add_argument("what", choices=["api", "backend"])
    p.set_defaults(run=lambda a: print(running(a.what)) or 0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)  # "Found credentials/endpoint" on every client
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())

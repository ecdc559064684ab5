"""The web console's files (web/): `/` is its page, `/console/<path>` its modules, `/console/vendor/<file>` the
browser builds of its npm libraries (web/node_modules, installed by `make`). The same layout is uploaded to the
console bucket on AWS (scripts/deploy_console.py), so the page's absolute paths work in both places."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from werkzeug.wrappers import Request, Response

WEB = Path(__file__).resolve().parent.parent / "web"
VENDOR = {"echarts.esm.min.mjs": WEB / "node_modules/echarts/dist/echarts.esm.min.mjs"}
SOURCES = ("app.js", "style.css", "lib/", "pages/")
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html"}
# Locally the console signs users in with unsigned sample tokens (said on its sign-in page).
LOCAL_CONFIG = {"mode": "local", "apiBase": ""}


def console_files() -> dict[str, Path]:
    """Every file of the console by its URL path (without the leading slash)."""
    files = {"index.html": WEB / "index.html"}
    for source in SOURCES:
        found = sorted((WEB / source).rglob("*.js")) if source.endswith("/") else [WEB / source]
        files.update({f"console/{p.relative_to(WEB).as_posix()}": p for p in found})
    files.update({f"console/vendor/{name}": path for name, path in VENDOR.items()})
    return files


def content_type(path: str) -> str:
    suffix = Path(path).suffix
    return TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


def serve(request: Request) -> Response | None:
    """The console's answer to a GET, or None when the path is not the console's."""
    if request.method not in ("GET", "HEAD"):
        return None
    path = request.path.lstrip("/") or "index.html"
    if path == "console/config.json":
        return Response(json.dumps(LOCAL_CONFIG), 200, mimetype="application/json")
    file = console_files().get(path)
    if file is None or not path.startswith(("index.html", "console/")):
        return None
    if not file.is_file():
        return Response(f"{path} is missing: run `make serve` (it runs npm ci in web/)", 503, mimetype="text/plain")
    headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    return Response(file.read_bytes(), 200, headers=headers, content_type=f"{content_type(path)}; charset=utf-8")

"""Where people reach this deployment, and whom they ask: the public base URL that every link and QR code uses,
the host name a genuine page is served from, and the procurement office's contact.

The base URL is the `PUBLIC_BASE_URL` setting (a custom domain), else the origin the request came in on (an API
function cannot name its own API in template.yaml: the API already depends on the function), else the API's URL
(`API_BASE_URL`, for the stream-fed ArtifactsFunction). The local runner sets `PUBLIC_BASE_URL` to its own origin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from grading.config import settings

__all__ = ["host_name", "link", "procurement_contact", "public_base_url", "request_origin"]

# Said when no contact is configured: still plain words that tell a person where to turn.
DEFAULT_CONTACT = "发布本公示的采购管理部门"


def public_base_url(origin: str | None = None) -> str:
    """The https origin (and stage path, on the API's own URL) that links start with, without a trailing slash."""
    cfg = settings()
    return (cfg.public_base_url or origin or cfg.api_base_url).rstrip("/")


def link(path: str, origin: str | None = None) -> str:
    """An absolute link for people: `path` (starting with /) under the public base URL."""
    return public_base_url(origin) + path


def host_name(origin: str | None = None) -> str:
    """The host a genuine page is served from, as the browser's address bar shows it."""
    return urlsplit(public_base_url(origin)).netloc


def request_origin(event: dict[str, Any]) -> str | None:
    """`https://<domain>/<stage>` from an API Gateway proxy event, the URL the caller reached this API at."""
    context = event.get("requestContext") or {}
    domain, stage = context.get("domainName"), context.get("stage")
    if not domain or not isinstance(domain, str):
        return None
    return f"https://{domain}" + (f"/{stage}" if stage and stage != "$default" else "")


def procurement_contact(recorded: str | None = None) -> str:
    """The procurement office's contact address for objections, until the console's objection form exists.

    A notice carries the `procurement_contact` of the versioned `notice` settings in force when it was published
    (`recorded`); without one (a page that reads no notice), the `PROCUREMENT_CONTACT` template parameter.
    """
    return (recorded or "").strip() or settings().procurement_contact.strip() or DEFAULT_CONTACT

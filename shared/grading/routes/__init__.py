"""One `grading.rest.Router` per resource; each API function includes the routers it serves.

Importing one router module (`from grading.routes import applications`) loads that module and what it uses, not
every router: a function's cold start pays only for its own routes. `ALL_ROUTERS` (the OpenAPI document's, and the
tests') imports them all when first asked for."""

from __future__ import annotations

import importlib
from typing import Any

_ALL = (
    ("applications", "router"),
    ("evaluation", "router"),
    ("notices", "router"),
    ("providers", "router"),
    ("regradings", "router"),
    ("settings", "router"),
    ("members", "router"),
    ("notifications", "router"),
    ("pages", "router"),  # the pages people open (HTML)
    # the reads the web console needs (ApplicationsFunction and EvaluationFunction)
    ("console_reads", "documents_router"),
    ("console_reads", "panels_router"),
)


def __getattr__(name: str) -> Any:
    if name == "ALL_ROUTERS":
        routers = [getattr(importlib.import_module(f"{__name__}.{module}"), attr) for module, attr in _ALL]
        globals()["ALL_ROUTERS"] = routers
        return routers
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

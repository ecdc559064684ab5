"""Writes ApiDocsFunction's OpenAPI document (functions/api_docs/openapi.json) from every router's code:
`python -m grading.openapi_build` (or `make openapi`), after changing a route or a model. A test fails while the
committed document differs from the generated one."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parents[2] / "functions" / "api_docs" / "openapi.json"


def generated() -> dict[str, Any]:
    from grading.openapi import generate_document
    from grading.routes import ALL_ROUTERS

    return generate_document(*ALL_ROUTERS)


def text(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    target = Path(argv[0]) if argv else TARGET
    target.write_text(text(generated()), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

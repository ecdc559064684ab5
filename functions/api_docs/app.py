"""ApiDocsFunction: the OpenAPI document and Swagger UI.

The document is generated from every router the API serves (`grading.openapi.generate_document`), at build time rather
than on the first request of each container: `python -m grading.openapi_build` writes openapi.json beside this file,
and tests/integration/test_openapi_document.py fails when the committed file differs from what the code generates.
So this function imports no router and no request model (issue 20: its first request cost twice the others')."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

import json
from pathlib import Path

from grading import snapstart
from grading.http import build_app, enable_docs, make_handler

DOCUMENT = json.loads((Path(__file__).parent / "openapi.json").read_text(encoding="utf-8"))

app = build_app()
document = enable_docs(app, lambda: DOCUMENT)
lambda_handler = make_handler(app)
snapstart.prime(document)
startup.done()  # the last: what the init built is frozen, the collector back on

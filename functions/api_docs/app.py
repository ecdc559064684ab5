"""ApiDocsFunction: the OpenAPI document and Swagger UI, generated from every router the API serves."""

from grading import snapstart
from grading.http import build_app, enable_docs, make_handler
from grading.routes import ALL_ROUTERS

app = build_app(*ALL_ROUTERS)
document = enable_docs(app)
lambda_handler = make_handler(app)
snapstart.prime(document)  # built once per container: in the snapshot, with the routes it describes

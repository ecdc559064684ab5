"""ProvidersFunction: assessments, rectification orders, the provider record and its members (routes in
grading.routes)."""

from grading.http import build_app, make_handler
from grading.routes import members, providers

app = build_app(providers.router, members.router)
lambda_handler = make_handler(app)

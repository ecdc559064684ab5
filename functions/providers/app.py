"""ProvidersFunction: assessments, rectification orders and the provider record (routes in grading.routes)."""

from grading.http import build_app, make_handler
from grading.routes import providers

app = build_app(providers.router)
lambda_handler = make_handler(app)

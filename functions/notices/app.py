"""NoticesFunction: public notices and their pages, objections, certificate verification (routes in grading.routes)."""

from grading.http import build_app, make_handler
from grading.routes import notices

app = build_app(notices.router)
lambda_handler = make_handler(app)

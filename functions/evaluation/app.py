"""EvaluationFunction: experts, schemes, panels, scorecards and the grade decision (routes in grading.routes)."""

from grading.http import build_app, make_handler
from grading.routes import evaluation

app = build_app(evaluation.router)
lambda_handler = make_handler(app)

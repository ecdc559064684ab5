"""EvaluationFunction: experts, schemes, panels, scorecards and the grade decision (routes in grading.routes)."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from grading import dal, snapstart
from grading.http import build_app, make_handler
from grading.routes import evaluation
from grading.routes.console_reads import panels_router
from grading.store import objects as storage

app = build_app(evaluation.router, panels_router)
lambda_handler = make_handler(app)
snapstart.prime(dal.client, storage.client)
startup.done()  # the last: what the init built is frozen, the collector back on

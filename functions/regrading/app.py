"""RegradingFunction: starts annual re-grading runs and what-ifs, and reports their progress."""

from grading import dal, regrading, snapstart, storage
from grading.http import build_app, make_handler
from grading.routes import regradings

app = build_app(regradings.router)
lambda_handler = make_handler(app)
snapstart.prime(dal.client, regrading.sqs, storage.client)

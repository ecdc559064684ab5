"""RegradingFunction: starts annual re-grading runs and what-ifs, and reports their progress."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from grading import dal, snapstart
from grading.http import build_app, make_handler
from grading.routes import regradings
from grading.store import objects as storage
from grading.store import queue

app = build_app(regradings.router)
lambda_handler = make_handler(app)
snapstart.prime(dal.client, queue.sqs, storage.client)
startup.done()  # the last: what the init built is frozen, the collector back on

"""ApplicationsFunction: applications, documents, resubmission and initial review (routes in grading.routes)."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from grading import dal, snapstart
from grading.http import build_app, make_handler
from grading.routes import applications
from grading.routes.console_reads import documents_router
from grading.store import objects as storage

app = build_app(applications.router, documents_router)
lambda_handler = make_handler(app)
snapstart.prime(dal.client, storage.client)
startup.done()  # the last: what the init built is frozen, the collector back on

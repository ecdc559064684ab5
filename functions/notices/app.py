"""NoticesFunction: public notices and their pages, objections, certificate verification, and the pages people
open (the certificate's verification page, the notice board) (routes in grading.routes)."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from grading import dal, snapstart
from grading.http import build_app, make_handler
from grading.routes import notices, pages
from grading.store import objects as storage

app = build_app(notices.router, pages.router)
lambda_handler = make_handler(app)
snapstart.prime(dal.client, storage.client)
startup.done()  # the last: what the init built is frozen, the collector back on

"""ProvidersFunction: assessments, rectification orders, the provider record, its members and the versioned
settings (routes in grading.routes)."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from grading import dal, snapstart
from grading.http import build_app, make_handler
from grading.routes import members, providers, settings

app = build_app(providers.router, members.router, settings.router)
lambda_handler = make_handler(app)
snapstart.prime(dal.client)
startup.done()  # the last: what the init built is frozen, the collector back on

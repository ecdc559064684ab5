"""One Powertools Router per resource; each API function includes the routers it serves."""

from grading.routes import applications, evaluation, notices, notifications, providers, regradings

ALL_ROUTERS = [
    applications.router,
    evaluation.router,
    notices.router,
    providers.router,
    regradings.router,
    notifications.router,
]

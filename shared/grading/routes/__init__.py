"""One Powertools Router per resource; each API function includes the routers it serves."""

from grading.routes import (
    applications,
    console_reads,
    evaluation,
    members,
    notices,
    notifications,
    pages,
    providers,
    regradings,
    settings,
)

ALL_ROUTERS = [
    applications.router,
    evaluation.router,
    notices.router,
    providers.router,
    regradings.router,
    settings.router,
    members.router,
    notifications.router,
]
ALL_ROUTERS.append(pages.router)  # the pages people open (HTML)
# the reads the web console needs (ApplicationsFunction and EvaluationFunction)
ALL_ROUTERS += [console_reads.documents_router, console_reads.panels_router]

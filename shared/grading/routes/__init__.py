"""One Powertools Router per resource; each API function includes the routers it serves."""

from grading.routes import applications, evaluation, notices, pages, providers, regradings

ALL_ROUTERS = [applications.router, evaluation.router, notices.router, providers.router, regradings.router]
ALL_ROUTERS.append(pages.router)  # the pages people open (HTML)

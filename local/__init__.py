"""Local stand-in for `sam local`: runs template.yaml's functions in-process against moto in server mode.
Entry point: `python -m local serve|token|invoke` (see local/__main__.py)."""

from local.apigw import api_event, claims_from_authorization, make_token
from local.backend import LocalBackend, create_resources
from local.host import FunctionHost
from local.pollers import EventPollers
from local.server import ApiServer
from local.template import Stack, load_stack

__all__ = [
    "ApiServer",
    "EventPollers",
    "FunctionHost",
    "LocalBackend",
    "Stack",
    "api_event",
    "claims_from_authorization",
    "create_resources",
    "load_stack",
    "make_token",
]

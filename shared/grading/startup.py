"""A function's init (its cold start), bracketed: `begin()` as app.py's first statement, `done()` as its last.

What an init builds (modules, pydantic models, botocore's service models, the routes) lives as long as the
container, so there is nothing for the cyclic garbage collector to find in it; yet the collector runs again and
again while the modules load (a young collection every 700 new objects on Python 3.11, 2,000 on 3.13), and each
older one walks the whole heap built so far. Measured (issue 20), an API function's init and first request
spent ~60 ms in the collector, ~40 of them while the DynamoDB client was being built. So the collector rests
during the init, and `done()` then freezes what was built (`gc.freeze()`: moved out of every later collection,
the ones of warm requests included) and turns it back on; from then on the function collects only what its
requests allocate.

Everywhere else (the local runner, the tests) the same two calls run when a function's app.py is imported."""

from __future__ import annotations

import gc


def begin() -> None:
    gc.disable()


def done() -> None:
    gc.freeze()
    gc.enable()

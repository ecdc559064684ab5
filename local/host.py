"""Runs the template's functions in this process, like warm Lambda containers with concurrency 1:
each app.py is imported once under its own module name, with the function's environment applied."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from local.apigw import LambdaContext
from local.template import REPO_ROOT, FunctionSpec, Stack


class UnknownFunction(KeyError):
    pass


class FunctionHost:
    def __init__(
        self, stack: Stack, shared_dir: str | os.PathLike[str] | None = None, isolate_layer: bool = False
    ) -> None:
        """isolate_layer: give each function its own copy of the layer's modules (grading.*), as separate
        Lambda processes have, so import-time state (loggers, settings read from env) cannot leak between
        functions. Off by default so in-process tests can monkeypatch the modules the functions use."""
        self.stack = stack
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        # One invocation at a time: os.environ and sys.path are process-global.
        self._lock = threading.Lock()
        # The layers' code is what Lambda mounts at /opt/python: the template's own layers, else shared/.
        found = {str(d) for f in stack.functions.values() for d in f.layer_dirs}
        layers = [str(shared_dir)] if shared_dir else sorted(found) or [str(REPO_ROOT / "shared")]
        for layer in layers:
            if layer not in sys.path:
                sys.path.insert(0, layer)
        self.isolate_layer = isolate_layer
        dirs = [*layers, *(str(f.code_dir) for f in stack.functions.values())]
        self._private_roots = tuple(os.path.join(d, "") for d in dirs)
        self._module_sets: dict[str, dict[str, ModuleType]] = {}
        self._private_names: set[str] = set()  # names of modules from the layer/code dirs, as seen so far
        self._seen: set[str] = set()  # sys.modules' names at the last switch
        self._current: str | None = None
        # Set for every function over what the template says (serve: PUBLIC_BASE_URL = the runner's own origin).
        self.env_overrides: dict[str, str] = {}

    def spec(self, logical_id: str) -> FunctionSpec:
        if logical_id not in self.stack.functions:
            raise UnknownFunction(f"no function {logical_id!r}; valid: {', '.join(sorted(self.stack.functions))}")
        return self.stack.functions[logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Invoke synchronously and return the JSON round-tripped result; handler exceptions propagate."""
        spec = self.spec(logical_id)
        payload = json.loads(json.dumps(event))  # the handler gets its own copy, as over the wire
        with self._lock, self._environment(spec):
            if self.isolate_layer:
                self._switch_modules(logical_id)
            handler = self._handler(spec)
            context = LambdaContext(
                f"{self.stack.name}-{logical_id}",
                spec.memory,
                spec.timeout,
                self.stack.function_arn(logical_id),
            )
            result = handler(payload, context)
        return json.loads(json.dumps(result))  # Lambda fails on results that are not JSON, so do we

    def _handler(self, spec: FunctionSpec) -> Callable[[Any, Any], Any]:
        if spec.logical_id not in self._handlers:
            module_path, _, attr = spec.handler.rpartition(".")
            file = spec.code_dir / (module_path.replace(".", "/") + ".py")
            # Every function's file is app.py: a unique module name keeps them apart in sys.modules.
            name = f"_local_fn_{spec.logical_id}_{module_path.replace('.', '_')}"
            module_spec = importlib.util.spec_from_file_location(name, file)
            if module_spec is None or module_spec.loader is None:
                raise ImportError(f"cannot load {file} for {spec.logical_id}")
            module: ModuleType = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            try:
                module_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[name]  # a failed cold start is retried on the next invocation
                raise
            self._handlers[spec.logical_id] = getattr(module, attr)
        return self._handlers[spec.logical_id]

    def _switch_modules(self, logical_id: str) -> None:
        """Swap the previous function's layer/code modules out of sys.modules and this function's in. Only the
        modules imported since the last switch are looked at (their files), not all of sys.modules each time."""
        if self._current == logical_id:
            return
        modules = sys.modules
        for name in modules.keys() - self._seen:
            module = modules.get(name)
            if str(getattr(module, "__file__", None) or "").startswith(self._private_roots):
                self._private_names.add(name)
        private = {name: modules[name] for name in self._private_names if name in modules}
        for name in private:
            del modules[name]
        if self._current is not None:
            self._module_sets[self._current] = private
        modules.update(self._module_sets.get(logical_id, {}))
        self._seen = set(modules)
        self._current = logical_id

    @contextmanager
    def _environment(self, spec: FunctionSpec) -> Iterator[None]:
        env = {
            **spec.env,
            "AWS_LAMBDA_FUNCTION_NAME": f"{self.stack.name}-{spec.logical_id}",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_REGION": self.stack.region,
            "POWERTOOLS_TRACE_DISABLED": "true",
            **self.env_overrides,
        }
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        sys.path.insert(0, str(spec.code_dir))
        try:
            yield
        finally:
            sys.path.remove(str(spec.code_dir))
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

"""Run the template's Lambda handlers in this process, as close to Lambda as a process allows.

Import paths, as in Lambda: the function's ``CodeUri`` directory is where its handler module is
found, and each layer's content is importable (Lambda unpacks a layer to ``/opt`` and puts
``/opt/python`` on ``sys.path``). Here a layer's ``ContentUri`` directory (and its ``python/``
folder, if any) goes on ``sys.path``, plus the repository root, because the shared layer's build
copies ``statemachine/`` from there. Third-party dependencies are not unpacked from the layer's
``requirements.txt``: they come from the project's virtualenv, which ``make install`` fills with
the same pinned versions.

All handlers are called ``app.py``, so each is imported under its own module name
(``_localstack_<LogicalId>_app``), never as ``app``. A function's other modules are imported with
its ``CodeUri`` first on ``sys.path`` while its handler loads; two functions with same-named
helper modules would share one of them (none do; keep helpers in the layer).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from infra.localstack.template_model import ACCOUNT_ID, REGION, FunctionModel

logger = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], Any]
_import_lock = threading.Lock()


def add_import_paths(root: Path, functions: Iterable[FunctionModel]) -> None:
    """Make the repository root and every layer importable, once each (see the module docstring)."""
    wanted = [root]
    for function in functions:
        for layer in function.layer_dirs:
            wanted += [layer / "python", layer] if (layer / "python").is_dir() else [layer]
    for path in reversed(wanted):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


class LambdaContext:
    """The context object handlers (and Powertools) read; the remaining time counts down from the
    function's ``Timeout``. A local invocation is not stopped at the timeout, only logged."""

    def __init__(self, function: FunctionModel) -> None:
        self.function_name = function.logical_id
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = function.memory
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function.logical_id}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.logical_id}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalFunction:
    """One function of the template: its handler is imported on first use (a cold start), and it
    handles one event at a time, as a Lambda instance does. Handlers may rely on that: Powertools'
    resolver keeps the current request on its module-level app, so two admin calls at once (the
    admin page loads several) crossed each other's state and one answered 500."""

    def __init__(self, model: FunctionModel) -> None:
        self.model = model
        self._handler: Handler | None = None
        self._one_event_at_a_time = threading.Lock()

    @property
    def handler(self) -> Handler:
        with _import_lock:
            if self._handler is None:
                self._handler = load_handler(self.model)
            return self._handler

    def invoke(self, event: dict[str, Any]) -> Any:
        handler = self.handler
        with self._one_event_at_a_time:
            return self._run(handler, event)

    def _run(self, handler: Handler, event: dict[str, Any]) -> Any:
        context = LambdaContext(self.model)
        started = time.monotonic()
        try:
            return handler(event, context)
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.model.timeout:
                logger.warning(
                    "%s ran %.1f s, over its Timeout of %s s (Lambda would have stopped it)",
                    self.model.logical_id,
                    elapsed,
                    self.model.timeout,
                )


def load_handler(model: FunctionModel) -> Handler:
    """``Handler: app.lambda_handler`` → the callable, from ``CodeUri/app.py`` under a unique name."""
    module_path, _, attribute = model.handler.rpartition(".")
    source = model.code_dir / (module_path.replace(".", "/") + ".py")
    if not source.is_file():
        raise FileNotFoundError(f"{model.logical_id}: handler module {source} does not exist")
    name = f"_localstack_{model.logical_id}_{module_path.replace('.', '_')}"
    spec = importlib.util.spec_from_file_location(name, source)
    if spec is None or spec.loader is None:
        raise ImportError(f"{model.logical_id}: cannot import {source}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(model.code_dir))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    finally:
        sys.path.remove(str(model.code_dir))
    handler: Handler = getattr(module, attribute)
    return handler

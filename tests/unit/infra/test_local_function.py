"""A local function handles one event at a time, as a Lambda instance does."""

import threading
import time
from types import SimpleNamespace

from infra.localstack.lambdas import LocalFunction


def test_concurrent_invocations_of_one_function_never_overlap() -> None:
    running, most = [0], [0]
    guard = threading.Lock()

    def handler(event, context):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)  # long enough for the other threads to arrive while this one runs
        with guard:
            running[0] -= 1
        return event["n"]

    function = LocalFunction(SimpleNamespace(logical_id="AdminFunction", memory=512, timeout=10))  # type: ignore[arg-type]
    function._handler = handler
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(function.invoke({"n": n}))) for n in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1, 2, 3, 4]
    assert most[0] == 1

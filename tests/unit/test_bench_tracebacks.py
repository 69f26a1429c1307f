"""The load benchmark tells a traceback in the bot's code from one in the local AWS stand-in."""

from __future__ import annotations

from tests.bench.load import classify_tracebacks

MOTO = """\
Traceback (most recent call last):
  File "/venv/lib/python3.13/site-packages/werkzeug/serving.py", line 370, in run_wsgi
    execute(self.server.app)
  File "/venv/lib/python3.13/site-packages/moto/core/responses.py", line 200, in dispatch
    return cls()._dispatch(*args, **kwargs)
  File "/usr/lib/python3.13/copy.py", line 284, in _reconstruct
    for key, value in dictiter:
RuntimeError: dictionary changed size during iteration
"""
BOT = """\
Traceback (most recent call last):
  File "/work/main/layers/shared/supportbot/pipeline.py", line 74, in process
    outcome = self.compute_and_save(update, replay=replay)
  File "/venv/lib/python3.13/site-packages/botocore/client.py", line 1000, in _make_api_call
    raise error_class(parsed_response, operation_name)
botocore.exceptions.ClientError: An error occurred (InternalFailure)
"""


def test_tracebacks_are_told_apart_by_where_they_were_raised():
    log = f"127.0.0.1 - - [26/Nov/2026] POST / 500 -\n{MOTO}INFO ready\n{BOT}{MOTO}"
    found = classify_tracebacks(log)
    assert {where: len(blocks) for where, blocks in found.items()} == {
        "in the bot's code": 1,
        "in moto's server only": 2,
        "elsewhere": 0,
    }
    assert found["in the bot's code"][0].splitlines()[-1].startswith("botocore.exceptions.ClientError")
    assert found["in moto's server only"][0].splitlines()[-1].startswith("RuntimeError")


def test_a_quiet_log_has_none():
    assert all(not blocks for blocks in classify_tracebacks("INFO ready\nINFO stopped\n").values())

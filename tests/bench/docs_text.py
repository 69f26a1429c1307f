"""The fixed prose of docs/PERFORMANCE.md (the figures around it come from the run)."""

HOW = """\
## How it is measured

`make bench` (= `PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench`) runs every part and
rewrites this file; each part also runs alone, with smaller sizes for a quick look:

```sh
PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench.coldstart --runs 7
PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench.journey --rounds 5
PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench.layers
PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench.load --users 200 --duration 60
PYTHONPATH=.:layers/shared .venv/bin/python -m tests.bench --smoke --output /tmp/perf.md  # seconds
```

- **Baseline** (`tests/bench/baseline_handler.py`): a bare webhook handler with the product's I/O
  libraries (pyTelegramBotAPI, pynamodb, requests): secret check, parse, get the session item, put
  it back (conditional on its version), one sendMessage, a callback answered in the response.
  Every ratio is product / baseline in the same run, against the same stand-ins.
- **Cold start** (`coldstart.py`): a fresh `python` per run importing the handler module and
  handling its first update (`/start` of a new user) against moto in server mode and the Bot API
  stand-in; product and baseline alternate; median. The heaviest imports come from
  `python -X importtime` (self time summed per top-level package / cumulative time).
- **Warm CPU and I/O** (`journey.py`): the real handlers in-process (after a warm-up user), DynamoDB
  under moto's *server* (its work is on other threads, so the handler thread's `time.thread_time`
  is the handler's own CPU, botocore's request building and parsing included). The baseline
  handles the very same event right after the product. Capacity units are computed from the item
  sizes sent and received (DynamoDB's size rule, rounded up per request; a transaction counts
  twice); SQS requests include the event source mapping's receive and delete (billed).
- **Cost** (`cost.py`): the mix (60 % navigation, 15 % support messages, half in and half out, each
  through the outbox, 10 % login, 10 % FAQ, 5 % photo requests and complaints, each category the
  mean of its journey steps) priced with `docs/prices.json` (dated list prices: check them).
  Billed Lambda time = measured CPU × 1769 MB / 512 MB (the vCPU share at the template's memory)
  + each request × an assumed in-region latency (the table's `assumptions`).
- **Layers** (`layers.py`): each layer built by its Makefile into a temporary folder, as `sam build`
  does; sizes are the sum of file sizes (MB = 10^6 bytes). The webhook loads the shared layer only.
- **Load** (`load.py`): `python -m infra.localstack` as a subprocess on free loopback ports; the
  sandbox's webhook is pointed at a timing proxy in front of the API; users (all logging in as the
  demo customer) act through the sandbox API with the mix's weights, each waiting for its update to
  be handled; support questions go to the Blinger console and the operator's answers come back
  through the Blinger webhook and the outbox. Lost = a question missing in Blinger or an answer
  missing in the chat after a 30 s drain. It stops by itself (duration + bounded waits)."""

FINDINGS = """\
## Findings, changes and gaps

**Done here**
- The shared layer leaves out what no handler imports (`layers/shared/Makefile`, `UNUSED`):
  pyTelegramBotAPI's asyncio client and ten Powertools utilities (parser, idempotency, parameters,
  feature flags, ...): 8.94 → 7.53 MB unzipped. `tests/unit/test_layer_trim.py` imports every
  handler in an interpreter that sees only the built layer, the function's folder, the standard
  library and botocore (as the Lambda runtime provides it), and checks boto3 stays out.
- Menu navigation is already at the floor: one session read, one one-unit session write, one
  outbound Bot API request (the callback answer rides in the webhook response); FAQ steps read no
  content (the tree is served from memory when warm). Order screens add the built-in backend's two
  reads (token lookup, orders query or batch get): work the baseline does not do.

**Found, handed over (files owned by others during this work)**
- *Support messages cost a fresh botocore session per transaction.* `support/outbox.py` (two
  places) and `support/warehouse.py` run `TransactWrite(connection=Connection())`; each
  `Connection()` builds its own botocore session and client, loading DynamoDB's service model and
  endpoint rules again: ~60 ms CPU here per stored message (the `support message in` step's
  webhook CPU and the Blinger webhook's `operator reply out`), several times that on a 512 MB
  Lambda. Fix: one cached connection, e.g. `@functools.cache def _connection() -> Connection:
  return Connection()`, used by every transaction. It is most of the support steps' Lambda
  duration, hence the bulk of the journey's CPU ratio above 1.3×.
- *X-Ray.* `Tracing: Active` (template Globals) records a trace per invocation at low traffic
  (the default rule samples the first request each second): ~$5 per million invocations, more
  than everything else together. Turn it off, or keep it with a low fixed-rate sampling rule.
- *HTTP API is the largest fixed item* ($1.00–1.20 per million requests). A Lambda function URL
  has no request charge; the webhook already authenticates Telegram by its secret header, so
  Telegram could call a function URL directly (saves ~$0.95 per million updates of the mix: the
  "with a function URL" line above). Even then, and with the connection fix, the estimate stays
  near $3: DynamoDB writes are the next item (support messages write ~6.5 units each, transactions
  counting twice) and the order screens' backend reads.
- *Memory.* At 512 MB a function gets 0.29 vCPU, and these handlers are CPU-bound between short
  I/O waits: 1024 MB would roughly halve billed time for about the same GB-seconds, with lower
  latency; worth measuring on AWS.
- Powertools' Swagger UI assets (1.6 MB) stay in the shared layer because the admin API serves them;
  moved to the admin layer, the webhook's layer would drop to ~5.9 MB.

**Gaps and limits**
- The cost target is not met by the code alone (see above: HTTP API, support transactions, X-Ray
  are template or support-desk decisions); the estimate's latencies are assumptions, not AWS
  measurements.
- Cold start is measured on this machine's CPU with a local moto server; on Lambda it also includes
  the runtime's own init and reading SSM parameters (one call, both handlers would pay it).
- Photo requests and complaints are priced as a screen plus a stored, queued message (the support
  step), not driven end to end in the journey; the load run does drive the complaint screens.
- The load run's stack log holds a few tracebacks from moto's server (werkzeug/flask frames, the
  first one shown) under 200 concurrent users; no webhook call answered other than 200 and nothing
  was lost. The others were not classified one by one.
- The load figures describe the local stack (one Python process, the sandbox delivering at most 8
  updates at once), not Lambda's concurrency; they show correctness under concurrency (errors,
  lost messages) more than AWS latency."""

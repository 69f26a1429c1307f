"""``make run``: the whole bot on this machine, no AWS account, no Telegram token, no Docker.

    PYTHONPATH=.:layers/shared .venv/bin/python -m infra.localstack [--port 3000] [--telegram-port 8081]
                                                                    [--blinger-port 8082] [--moto-port 5000]
                                                                    [--state-dir DIR] [--fresh] [--no-rate-limits]
                                                                    [--schedule-seconds N]

Prints the URLs and "ready in N s", then runs until Ctrl-C (SIGINT) or SIGTERM, which stop
everything and exit 0. Data (tables, buckets, the sandbox's chats, the Blinger console's
conversations) is kept in ``--state-dir`` across restarts; ``--fresh`` starts clean. The sandbox
answers 429 over Telegram's flood limits as Telegram does; ``--no-rate-limits`` turns that off.
Scheduled functions (the auto-close) run on timers of their template's periods, or every
``--schedule-seconds``. With ``TELEGRAM_BOT_TOKEN`` in the environment the sandbox is replaced by
the real Telegram, long-polled (``TELEGRAM_API_URL`` chooses another Bot API server).
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the heavy imports: "ready in" counts them too

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from types import FrameType  # noqa: E402

STATE_DIR = Path(__file__).resolve().parents[2] / ".localstack-state"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.localstack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=3000, help="local API (sam local start-api's port)")
    parser.add_argument("--telegram-port", type=int, default=8081, help="Telegram sandbox and web chat")
    parser.add_argument("--blinger-port", type=int, default=8082, help="Blinger console")
    parser.add_argument("--moto-port", type=int, default=5000, help="AWS services (moto)")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="where data is kept across restarts (default: %(default)s)",
    )
    parser.add_argument("--fresh", action="store_true", help="forget the kept data first (make run FRESH=1)")
    parser.add_argument(
        "--no-rate-limits",
        dest="rate_limits",
        action="store_false",
        help="the sandbox answers no 429 for Telegram's flood limits (make run RATE_LIMITS=0)",
    )
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        default=None,
        help="run the scheduled functions this often instead of their template's periods",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("infra").setLevel(logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    from infra.localstack.stack import LocalStack, Ports

    stack = LocalStack(
        Ports(api=args.port, telegram=args.telegram_port, blinger=args.blinger_port, moto=args.moto_port),
        real_token=os.environ.get("TELEGRAM_BOT_TOKEN") or None,
        real_api_url=os.environ.get("TELEGRAM_API_URL") or None,
        state_dir=args.state_dir,
        fresh=args.fresh,
        rate_limits=args.rate_limits,
        schedule_seconds=args.schedule_seconds,
    )
    try:
        stack.start()
    except OSError as error:
        print(f"Could not start: {error} (is another `make run` using the port? see --help)", file=sys.stderr)
        return 1
    try:
        width = max(len(name) for name in stack.urls())
        for name, url in stack.urls().items():
            print(f"  {name:<{width}}  {url}")
        print(f"ready in {time.monotonic() - STARTED:.1f} s; Ctrl-C stops everything", flush=True)
        while not stop.wait(0.5):
            pass
        print("stopping...", flush=True)
    finally:
        stack.stop()
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

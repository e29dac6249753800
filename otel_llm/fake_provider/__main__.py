"""``python -m otel_llm.fake_provider [--port N]``: a standalone fake provider for running an app by hand."""

from __future__ import annotations

import argparse
import contextlib
import threading

from otel_llm.fake_provider import FakeProvider


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m otel_llm.fake_provider", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    with FakeProvider(args.host, args.port) as fp:
        print("otel-llm fake provider listening; point an app at it with:", flush=True)
        print(f"export OPENAI_BASE_URL={fp.openai_base_url}", flush=True)
        print(f"export ANTHROPIC_BASE_URL={fp.anthropic_base_url}", flush=True)
        print("export OPENAI_API_KEY=test-key ANTHROPIC_API_KEY=test-key", flush=True)
        print("Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()

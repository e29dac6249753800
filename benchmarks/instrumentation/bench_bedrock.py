"""Per-call overhead on boto3's bedrock-runtime client: otel-llm, the official botocore instrumentation, OpenLLMetry.

    python benchmarks/instrumentation/bench_bedrock.py [--rounds 7] [--calls 100] [--chunks 50] [--clock wall|cpu]

(``bench_providers.py`` runs this suite and the Gemini one together, in the environment it sets
up with every peer at pinned versions.) Without network noise: the real boto3 client (request
building, SigV4 signing, retries handler, response parsing, botocore's eventstream parser) runs
in full, and only the HTTP send is replaced, through botocore's own ``before-send`` event, by
bytes recorded once from the local fake provider. Contenders (``_harness`` runs them interleaved):

- ``baseline``: uninstrumented;
- ``otel-llm``: ``BedrockInstrumentor`` (priced span, metrics);
- ``official``: ``opentelemetry-instrumentation-botocore`` with its Bedrock extension (gen_ai
  span and metrics); it traces every AWS call, by design;
- ``OpenLLMetry``: ``opentelemetry-instrumentation-bedrock`` (wraps clients made after
  ``instrument()``, hence the harness builds clients per block).

Scenarios: ``converse``, ``converse_stream`` with ``--chunks`` text deltas, ``invoke_model``
(an Anthropic body), and a non-Bedrock call (S3 ``list_buckets``, replayed the same way) to show
what each costs every other AWS call.
"""

from __future__ import annotations

import argparse
import io
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
from _floor import SdkFloor
from _harness import OURS, SYSTEM, TURNS, Candidate, Suite, main, recorded_reply
from botocore.awsrequest import AWSResponse

from otel_llm.fake_provider import FakeProvider
from otel_llm.instrumentation.bedrock import BedrockInstrumentor

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Summarize the quarterly report in one sentence."}]}]
ANTHROPIC_BODY = json.dumps(
    {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi."}]}
)
Recorded = tuple[int, dict[str, str], bytes]
NOT_BEDROCK = "s3 list_buckets"
CHAT = "converse, chat of 9 turns"
PLAIN = ("converse", CHAT, "invoke_model")


class _Raw(io.BytesIO):
    """What botocore reads a response body from (``stream()``, or ``read()`` for a blob), over recorded bytes."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _record(chunks: int) -> dict[str, Recorded]:
    """Status, headers and body of each operation's reply from the fake provider."""
    with FakeProvider() as fake:
        out = {
            name: recorded_reply(fake.url + path, body, chunks)
            for name, path, body in (
                ("converse", f"/model/{MODEL}/converse", json.dumps({"messages": MESSAGES})),
                ("converse_stream", f"/model/{MODEL}/converse-stream", json.dumps({"messages": MESSAGES})),
                ("invoke_model", f"/model/{MODEL}/invoke", ANTHROPIC_BODY),
            )
        }
    out["list_buckets"] = (200, {"content-type": "application/xml"}, b"<ListAllMyBucketsResult/>")
    return out


def _clients(recorded: dict[str, Recorded]) -> tuple[Any, Any]:
    def replay(request: Any, **_: Any) -> AWSResponse:
        path = request.url.rsplit("/", 1)[-1]
        key = {"converse": "converse", "converse-stream": "converse_stream", "invoke": "invoke_model"}.get(
            path, "list_buckets"
        )
        status, headers, body = recorded[key]
        return AWSResponse(request.url, status, headers, _Raw(body))

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url="http://replay.invalid")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url="http://replay.invalid")
    for client in (bedrock, s3):
        client.meta.events.register("before-send", replay)
    return bedrock, s3


def _scenarios(bedrock: Any, s3: Any) -> dict[str, Callable[[], object]]:
    def converse_stream() -> object:
        return sum(1 for _ in bedrock.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])

    messages = [{"role": role, "content": [{"text": text}]} for role, text in TURNS]
    return {
        "converse": lambda: bedrock.converse(modelId=MODEL, messages=MESSAGES),
        CHAT: lambda: bedrock.converse(
            modelId=MODEL, messages=messages, system=[{"text": SYSTEM}],
            inferenceConfig={"maxTokens": 256, "temperature": 0.2},
        ),
        "converse_stream": converse_stream,
        "invoke_model": lambda: bedrock.invoke_model(modelId=MODEL, body=ANTHROPIC_BODY)["body"].read(),
        NOT_BEDROCK: lambda: s3.list_buckets(),
    }


def _prepare(args: argparse.Namespace) -> Callable[[], dict[str, Callable[[], object]]]:
    recorded = _record(args.chunks)
    return lambda: _scenarios(*_clients(recorded))


def _official() -> Any:
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

    return BotocoreInstrumentor()


def _openllmetry() -> Any:
    from opentelemetry.instrumentation.bedrock import BedrockInstrumentor as OpenLLMetryBedrockInstrumentor

    return OpenLLMetryBedrockInstrumentor()


SUITE = Suite(
    title=lambda args: f"boto3 {boto3.__version__} ({args.chunks}-delta stream)",
    scenarios=("converse", CHAT, "converse_stream", "invoke_model", NOT_BEDROCK),
    candidates=(
        Candidate(OURS, BedrockInstrumentor),
        Candidate("official", _official),
        Candidate("OpenLLMetry", _openllmetry, {NOT_BEDROCK: "does not trace non-Bedrock calls"}),
        # otel-llm's span on converse: 12 attributes at start, 16 from the response.
        Candidate("SDK floor", lambda: SdkFloor("botocore.client", "BaseClient._make_api_call", 12, 16), only=PLAIN),
    ),
    prepare=_prepare,
)

if __name__ == "__main__":
    main([SUITE], __doc__.splitlines()[0])

"""Schema version 7: llm_calls carries each request's shape (fingerprints, sizes, flags), never content.

Real chdb engine; spans inserted in the otel_traces layout as the exporter and collector write them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from otel_llm import semconv as sc
from otel_llm.schema import MIGRATIONS, migrate
from tests.fixtures.store import Store, insert_spans, span_row
from tests.integration.store.test_schema_cache_1h import _layout

AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0, tzinfo=None)
SHAPE_COLUMNS = ("RequestFingerprint, PrefixFingerprint, PrefixTokens, MessageCount, ToolCount, MaxTokensSet,"
                 " CacheControl, Streamed, TurnIndex")


def _span(**extra: str) -> list:
    attributes = {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: "openai",
        sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        sc.GEN_AI_USAGE_INPUT_TOKENS: "1000",
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: "10",
        **extra,
    }
    return span_row(attributes, at=AT)


SHAPED = {
    sc.OTEL_LLM_REQUEST_FINGERPRINT: "a" * 32,
    sc.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT: "b" * 32,
    sc.OTEL_LLM_REQUEST_PREFIX_TOKENS: "1200",
    sc.OTEL_LLM_REQUEST_MESSAGE_COUNT: "5",
    sc.OTEL_LLM_REQUEST_TOOL_COUNT: "2",
    sc.OTEL_LLM_REQUEST_MAX_TOKENS_SET: "true",
    sc.OTEL_LLM_REQUEST_CACHE_CONTROL: sc.CACHE_CONTROL_AUTOMATIC,
    sc.GEN_AI_REQUEST_STREAM: "true",
    sc.OTEL_LLM_REQUEST_TURN_INDEX: "3",
}


def _shapes(store: Store, database: str | None = None) -> list[tuple]:
    return store.client.query(
        f"SELECT {SHAPE_COLUMNS} FROM `{database or store.database}`.llm_calls ORDER BY RequestFingerprint DESC"
    ).result_rows


def test_the_shape_of_our_spans_and_defaults_for_foreign_ones(store: Store) -> None:
    foreign_streamed = _span(**{sc.GEN_AI_REQUEST_MAX_TOKENS: "50", sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: "0.2"})
    insert_spans(store.client, store.database, [_span(**SHAPED), _span(), foreign_streamed])
    assert _shapes(store) == [
        ("a" * 32, "b" * 32, 1200, 5, 2, 1, "automatic", 1, 3),
        ("", "", 0, 0, 0, 0, "", 0, 0),  # another instrumentation's span: no shape, nothing invented
        ("", "", 0, 0, 0, 1, "", 1, 0),  # ...but a max_tokens and a first chunk say what they say
    ]


def test_a_version_6_store_upgrades_to_the_fresh_schema(store_client, store: Store) -> None:
    database = f"test_v6_{uuid.uuid4().hex[:8]}"
    old = Store(store_client, database)
    try:
        assert migrate(store_client, database, to_version=6) == [1, 2, 3, 4, 5, 6]
        insert_spans(store_client, database, [_span(**SHAPED)])
        assert "RequestFingerprint" not in store_client.query(f"SELECT * FROM `{database}`.llm_calls").column_names

        assert migrate(store_client, database) == [7, 8, 9, 10]
        assert migrate(store_client, database) == []
        assert _layout(old, database) == _layout(store, store.database)

        insert_spans(store_client, database, [_span(**SHAPED)])
        assert _shapes(old, database) == [
            ("a" * 32, "b" * 32, 1200, 5, 2, 1, "automatic", 1, 3),
            ("", "", 0, 0, 0, 0, "", 0, 0),  # the row written before the upgrade keeps defaults
        ]
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_version_7_is_followed_by_8_9_and_10_only() -> None:
    """The upgrade test above rehearses 6 -> 7; 7 -> 8 is test_log_exporter.py's, 8 -> 9
    test_schema_adjusted.py's; 9 -> 10 test_schema_dashboard_speed.py's."""
    assert [m.version for m in MIGRATIONS][6:] == [7, 8, 9, 10]

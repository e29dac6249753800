"""The anthropic SDK versions this instrumentor supports (read by ``opentelemetry-instrument``)."""

_instruments = ("anthropic >= 0.40",)

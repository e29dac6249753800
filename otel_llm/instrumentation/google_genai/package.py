"""The google-genai SDK versions this instrumentor supports (read by ``opentelemetry-instrument``)."""

_instruments = ("google-genai >= 1.0",)

"""The cohere SDK versions this instrumentor supports; a missing SDK skips only this instrumentor."""

_instruments = ("cohere >= 5.0",)

"""The mistralai SDK versions this instrumentor supports; a missing SDK skips only this instrumentor."""

_instruments = ("mistralai >= 1.0",)

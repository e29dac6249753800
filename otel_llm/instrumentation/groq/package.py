"""The groq SDK versions this instrumentor supports; a missing SDK skips only this instrumentor."""

_instruments = ("groq >= 0.9",)

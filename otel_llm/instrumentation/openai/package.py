"""The OpenAI SDK versions this instrumentor supports; a missing SDK skips only this instrumentor."""

_instruments = ("openai >= 1.40",)

"""The litellm versions this instrumentor supports; a missing litellm skips only this instrumentor."""

_instruments = ("litellm >= 1.80",)

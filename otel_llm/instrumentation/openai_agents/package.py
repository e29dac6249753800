"""The OpenAI Agents SDK versions this instrumentor supports; without openai-agents it is skipped.

openai-agents 0.24 requires openai >= 3 (the major tested here).
"""

_instruments = ("openai-agents >= 0.24",)

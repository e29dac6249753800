"""The OpenAI Agents SDK versions this instrumentor supports; without openai-agents it is skipped.

openai-agents 0.24 requires openai 3.x (tested here), 0.20 openai 2.x (tested by ``make test-compat``).
"""

_instruments = ("openai-agents >= 0.20",)

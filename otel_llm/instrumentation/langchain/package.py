"""The LangChain versions this instrumentor supports; without langchain-core it is skipped.

LangGraph needs no line of its own: its graphs run LangChain chat models (and its graph names
are read only when langgraph is installed).
"""

_instruments = ("langchain-core >= 0.3",)

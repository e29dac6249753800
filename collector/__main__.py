"""``python -m otel_llm_collector`` (the Docker image's entry point).

Without the ``collector`` extra the servers' imports fail; the user gets the one line
``otel-llm collector`` prints too (``otel_llm.extras``), not a ModuleNotFoundError traceback.
"""

import sys

from otel_llm.extras import install_hint
from otel_llm_collector import main

try:
    code = main()
except ImportError as exc:
    hint = install_hint(exc)
    if hint is None:
        raise
    print(f"otel-llm collector: {hint}", file=sys.stderr)
    code = 2
sys.exit(code)

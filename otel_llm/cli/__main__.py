"""``python -m otel_llm.cli``: the same as the ``otel-llm`` script, for environments without it."""

import sys

from otel_llm.cli import main

sys.exit(main())

"""``python -m otel_llm_collector``."""

import sys

from otel_llm_collector import main

sys.exit(main())

"""Every Gemini and Bedrock scenario against every peer, in one interleaved run: the standard setup.

    python benchmarks/instrumentation/bench_providers.py [--rounds 7] [--calls 100] [--clock wall|cpu]

One command: it creates (once) the ``providers`` environment under ``benchmarks/.venvs`` with
``setup_venvs.sh``, where otel-llm, the official instrumentations (google-genai, botocore) and
OpenLLMetry's (google-generativeai, bedrock) are installed on the same pinned SDKs
(``constraints-providers.txt``), then runs itself there: the suites of ``bench_gemini.py`` and
``bench_bedrock.py`` in ONE run of ``_harness``, so every ratio in the table comes from the same
interleaved rounds. Each peer's row covers both SDKs (``official`` is the google-genai
instrumentation on Gemini scenarios and the botocore one on Bedrock scenarios).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".venvs" / "providers"


def _in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


if __name__ == "__main__":
    if not _in_venv():
        subprocess.run(["bash", str(HERE / "setup_venvs.sh"), "providers"], check=True)
        python = VENV / "bin" / "python"
        os.execv(python, [str(python), __file__, *sys.argv[1:]])
    import bench_bedrock
    import bench_gemini
    from _harness import main

    main([bench_gemini.SUITE, bench_bedrock.SUITE], __doc__.splitlines()[0])

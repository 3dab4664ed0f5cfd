"""The headless Chromium the browser tests and the page benchmarks drive (one set of flags,
so a figure in ``bench/RESULTS.md`` comes from the browser the tests check).

Chromium is Debian's (``apt-get install chromium``); ``CIVICGRAPH_CHROMIUM`` points at
another binary.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("CIVICGRAPH_CHROMIUM", "/usr/bin/chromium"))
#: Offline and quiet: no sandbox (containers), no GPU, no background traffic or updates.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

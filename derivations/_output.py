"""Where a derivation script writes: beside itself, or into the folder given as its
first argument (the tests re-run every script into a temporary folder and compare)."""

from __future__ import annotations

import sys
from pathlib import Path


def output_stem(script: str) -> Path:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(script).resolve().parent
    return folder / Path(script).stem

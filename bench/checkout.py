"""Bench scripts measure the checkout they live in: its ./data and ../shared, from any working directory.

The product's defaults follow the working directory (so an installed wheel finds its data); a bench
script pins them to this checkout instead, unless PAPERSEARCH_DATA_DIR / PAPERSEARCH_SHARED say otherwise.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pin_defaults_to_checkout() -> None:
    """Set the data dir and shared root of this checkout as defaults (the environment still wins)."""
    os.environ.setdefault("PAPERSEARCH_DATA_DIR", str(ROOT / "data"))
    os.environ.setdefault("PAPERSEARCH_SHARED", str(ROOT.parent / "shared"))

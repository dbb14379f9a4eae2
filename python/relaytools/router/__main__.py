"""CLI of the router trainer: ``python -m relaytools.router --out router.json FILES...``."""

from __future__ import annotations

import sys

from .train import main

if __name__ == "__main__":
    sys.exit(main())

"""The protocol-level trainee of benchmarks/room_client.py, for the browser and hub tests (benchmarks/ is
not a package): loaded once per process."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def room_client():
    if "room_client" not in sys.modules:
        spec = importlib.util.spec_from_file_location("room_client", REPO / "benchmarks" / "room_client.py")
        sys.modules["room_client"] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules["room_client"]

"""Bottom layer: where the kit's own files are (the SOP, its export mapping, scenarios, questions, samples).

In a checkout (`make lab`, an editable install) they are the repository's files, so a trainer
edits `sop/refund_sop.yaml` and nothing else. A wheel carries a build-time copy of the same
folders under `refundkit/_kit/` (see setup.py), laid out the same way. Imports nothing of the kit.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
CHECKOUT = PACKAGE_ROOT.parent.parent
BUNDLED = PACKAGE_ROOT / "_kit"
# The folders a wheel carries (setup.py copies exactly these; tests/test_wheel.py installs one).
KIT_FILES = ("sop", "data", "exercises/questions.yaml", "exercises/data")


def kit_root() -> Path:
    """The folder holding sop/, data/ and exercises/: the checkout when there is one, else the wheel's copy."""
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "sop" / "refund_sop.yaml").is_file():
        return CHECKOUT
    return BUNDLED


KIT_ROOT = kit_root()

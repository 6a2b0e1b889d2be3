"""What the learner's browser keeps from one page to the next, and how the server opens a page with it.

The page's script (refundkit-page.js) keeps two cookies for the app's path:
- the language last chosen (LANG_COOKIE): an address that names none (the entrance, a second tab, a
  bookmark) opens in it, not in the default one;
- the work under way (WORK_COOKIE): what the address keeps of it (the wizard's scenario and walk, the
  calculators' and the explorer's values: WORK_KEYS, see `refundkit.app.pages`). An address that
  carries none (a second tab opened at the entrance) opens with it, so the learner finds the wizard
  at the step they reached in the other tab. No name or answer is in it: answers are in the record.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from ..sop import LANGS

LANG_COOKIE = "refundkit-lang"
WORK_COOKIE = "refundkit-work"
KEPT_PARTS = ("calculators", "explorer")  # parts whose values the address keeps (the wizard keeps its walk)
WORK_KEYS = ("scenario", "walk", *KEPT_PARTS)
WORK_MAX = 3800  # characters: a cookie holds about 4 KB; a longer work is not kept (the page's own address still is)
WORK_DAYS = 1    # a training day: the next day's first page starts fresh


def remembered(query: dict[str, str], lang: str | None, work: str | None = None) -> dict[str, str]:
    """`query` with the remembered language, when it names none and the cookie names one of the SOP's,
    and with the remembered work, when it carries none (only WORK_KEYS are taken from the cookie)."""
    out = dict(query)
    if "lang" not in out and lang in LANGS:
        out["lang"] = lang
    if work and len(work) <= WORK_MAX and not any(k in query for k in WORK_KEYS):
        out.update((k, v) for k, v in parse_qsl(unquote(work)) if k in WORK_KEYS)
    return out

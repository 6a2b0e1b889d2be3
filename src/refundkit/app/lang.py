"""The learner's language from one page to the next: the page keeps the language last chosen in a
cookie (refundkit-page.js), and the server opens an address that names none (the entrance, a second
tab, a bookmark) in that language, not in the default one."""
from __future__ import annotations

from ..sop import LANGS

LANG_COOKIE = "refundkit-lang"


def remembered(query: dict[str, str], cookie: str | None) -> dict[str, str]:
    """`query` with the remembered language, when it names none and the cookie names one of the SOP's."""
    if "lang" in query or cookie not in LANGS:
        return query
    return {**query, "lang": cookie}

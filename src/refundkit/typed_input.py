"""Bottom layer: amounts and times as people type them, read one way for every face of the kit.

    amount("２１５．１０")           -> Decimal("215.10")   full-width, ¥/元, commas, 。 as the point
    amount("1e9")                   -> InputError("err_not_number")   no scientific notation, inf or nan
    amount("2000000", maximum=...)  -> InputError("err_too_large")
    moment("11月20日 10:00", today=date(2026, 11, 20)) -> datetime(2026, 11, 20, 10, 0)  (naive)
    moment("９：３０", today=...)     -> that day at 9:30

The widgets, the exercise checks and the case loader behind `refundkit decide` call these,
so a spelling accepted in one place is accepted everywhere. Imports nothing of the kit: an
`InputError` carries the SOP interface word (`key`) a widget shows, and a plain English
`detail` for the command line; callers attach the time zone and the SOP's limits.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

FEN = Decimal("0.01")
CURRENCY = ("¥", "￥", "元", "RMB", "rmb", "CNY", "cny")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # commas between thousands only: 1,299.00
EXPONENT = re.compile(NUMBER.pattern + r"[eE][+-]?\d+")  # 1.5E+30: how a spreadsheet writes a large number
DATE_TIME = re.compile(
    r"(?:(?:(?P<y>\d{4})-)?(?P<mo>\d{1,2})-(?P<d>\d{1,2})(?:\s+|\s*T\s*|(?=\d{1,2}:)))?"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})?(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?")


class InputError(ValueError):
    """Typed text that is not what was asked: `key` names the SOP ui word, `detail` says it in English."""

    def __init__(self, key: str, detail: str):
        self.key, self.detail = key, detail
        super().__init__(detail)


def plain(text: object) -> str:
    """Full-width letters, digits and punctuation as ASCII (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()


def without_thousands(raw: str, text: object = None) -> str:
    """`raw` without its thousands commas ('1,299.50' -> '1299.50'). A comma anywhere else ('1,5', which
    one person reads as 15 and another as 1.5) is refused."""
    if "," not in raw:
        return raw
    if not GROUPED.fullmatch(raw):
        raise InputError("err_not_number", "expected an amount in yuan such as 1,299.50 (commas only between "
                                           f"thousands), got {raw if text is None else text!r}")
    return raw.replace(",", "")


def money_text(text: object) -> str:
    """A written amount as plain ASCII ('¥1,299.50' -> '1299.50'): full-width forms folded, 。 as the
    point, currency signs and 元 dropped, thousands commas dropped (a comma elsewhere, '1,5', is
    refused: it would read as 15 to one person and 1.5 to another). What is left is not checked."""
    raw = plain(text).replace("。", ".")
    for sign in CURRENCY:
        raw = raw.replace(sign, "")
    return without_thousands(raw.strip(), text)


def number_text(text: object) -> str:
    """The digits of a typed number ('-12.50'), as `money_text` writes them.

    Refuses what is not plainly written digits (1e9, inf, nan, 1_000), so an amount is never
    read as something the person did not see on the screen.
    """
    raw = money_text(text)
    if not NUMBER.fullmatch(raw):
        raise InputError("err_not_number", f"expected an amount in yuan such as 12.50, got {text!r}")
    return raw


def amount(text: object, maximum: Decimal | None = None, blank: Decimal | None = None) -> Decimal:
    """A typed amount in yuan, exact to the fen; `blank` is what empty input means (None: refused)."""
    if plain(text) == "":
        if blank is None:
            raise InputError("err_not_number", "expected an amount in yuan such as 12.50, got nothing")
        return blank
    try:
        value = Decimal(number_text(text))
    except InvalidOperation:  # pragma: no cover - NUMBER admits only what Decimal reads
        raise InputError("err_not_number", f"expected an amount in yuan such as 12.50, got {text!r}") from None
    if value < 0:
        raise InputError("err_negative", f"must not be negative, got {text!r}")
    if maximum is not None and value > maximum:
        raise InputError("err_too_large", f"above the limit of {maximum:,.2f} for one amount, got {text!r}")
    try:
        exact = value.quantize(FEN)
    except InvalidOperation:  # more digits than a Decimal context holds: no amount is that large
        raise InputError("err_too_large", f"far too large to be an amount, got {text!r}") from None
    if value != exact:
        raise InputError("err_fen", f"at most two decimals (fen), got {text!r}")
    return exact


def _time_text(text: str) -> str:
    """Chinese and slashed spellings as '2026-11-20 10:00' (what DATE_TIME reads)."""
    t = plain(text)
    t = re.sub(r"(\d)\s*[年/.]\s*(?=\d)", r"\1-", t)          # 2026年11月 2026/11/20 2026.11.20
    t = re.sub(r"(\d)\s*月\s*(?=\d)", r"\1-", t)
    t = re.sub(r"(\d)\s*[日号]\s*", r"\1 ", t)
    t = re.sub(r"(\d)\s*[点时]\s*(?:(\d{1,2})\s*分?)?", lambda m: f"{m.group(1)}:{(m.group(2) or '00').zfill(2)}", t)
    return re.sub(r"\s+", " ", t).strip()


def moment(text: object, today: date | None = None) -> datetime:
    """A typed date and time; a missing year or date is taken from `today`.

    Returns a naive datetime unless the text carries an offset (+08:00, Z): the caller
    reads a naive one in the SOP's time zone. A date without a time is refused: the
    handling window counts from the minute of the request.
    """
    t = _time_text(str(text or ""))
    m = DATE_TIME.fullmatch(t)
    if not m:
        raise InputError("err_time", f"expected a time such as 2026-11-20 10:00, got {text!r}")
    if (m["mo"] is None or m["y"] is None) and today is None:
        raise InputError("err_time", f"expected a full date and time such as 2026-11-20 10:00, got {text!r}")
    year = int(m["y"]) if m["y"] else today.year
    month, day = (int(m["mo"]), int(m["d"])) if m["mo"] else (today.month, today.day)
    iso = f"{year:04d}-{month:02d}-{day:02d}T{int(m['h']):02d}:{m['mi'] or '00'}:{m['s'] or '00'}"
    if m["tz"]:
        iso += "+00:00" if m["tz"] == "Z" else (m["tz"] if ":" in m["tz"] else f"{m['tz'][:3]}:{m['tz'][3:]}")
    try:
        return datetime.fromisoformat(iso)
    except ValueError:  # 2026-02-30, 25:00
        raise InputError("err_time", f"no such date or time: {text!r}") from None

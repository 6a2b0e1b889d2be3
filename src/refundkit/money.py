"""Bottom layer: money as Decimal, exact to the fen (分, 0.01 yuan). Imports nothing of the kit but its errors."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import MoneyError
from .typed_input import InputError, number_text

FEN = Decimal("0.01")


def to_money(value: object, field: str = "amount") -> Decimal:
    """Parse yuan (str, int, Decimal; floats via their shortest repr) to a fen-exact Decimal.

    A value with more than two decimals is refused rather than rounded: an
    amount in a shop's records is always whole fen, so extra digits are a typo.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{field}: expected an amount in yuan such as 12.50, got {value!r}")
    try:
        if isinstance(value, (int, float, Decimal)):  # a number already (YAML, JSON): its own value
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:  # text as people type it: full-width, ¥/元 and commas; no 1e9, inf or nan
            amount = Decimal(number_text(str(value)))
    except (InputError, InvalidOperation):
        raise MoneyError(f"{field}: expected an amount in yuan such as 12.50, got {value!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"{field}: expected a finite amount, got {value!r}")
    if amount < 0:
        raise MoneyError(f"{field}: must not be negative, got {value!r}")
    try:  # 1e30 does not fit the context's 28 digits once written in fen
        exact = amount.quantize(FEN)
    except InvalidOperation:
        raise MoneyError(f"{field}: far too large to be an amount, got {value!r}") from None
    if amount != exact:
        raise MoneyError(f"{field}: at most two decimals (fen), got {value!r}")
    return exact


def fen(amount: Decimal) -> Decimal:
    """Round a computed amount (a fee, say) to the fen, half up as a cashier would."""
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def fmt(amount: Decimal, lang: str = "zh") -> str:
    """¥12.50 in both languages: the currency sign reads the same."""
    return f"¥{fen(amount):,.2f}"

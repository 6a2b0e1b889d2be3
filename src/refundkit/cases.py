"""Case layer: what one refund request looks like to the engine (above vocab, money, clock).

Field types are checked here; the allowed values of each fact come from the
SOP (`facts:`), so `parse_case` checks them against the SOP in use.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .safeyaml import YamlError, load as load_yaml, read_text as read_yaml_text
from .clock import parse_time
from .errors import CaseError, ClockError, MoneyError
from .money import to_money
from .vocab import CASE_FACTS


class Amounts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    goods: Decimal
    shipping: Decimal = Decimal("0.00")
    coupon: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")

    @field_validator("goods", "shipping", "coupon", "discount", mode="before")
    @classmethod
    def _money(cls, v: Any, info) -> Decimal:
        return to_money(v, info.field_name)

    @model_validator(mode="after")
    def _deductions_fit(self) -> "Amounts":
        if self.coupon > self.goods:
            raise ValueError(f"coupon {self.coupon} is larger than the goods price {self.goods}")
        if self.coupon + self.discount > self.goods:
            raise ValueError(f"coupon plus discount ({self.coupon + self.discount}) is larger than the goods price {self.goods}")
        return self

    @property
    def paid(self) -> Decimal:
        """What the customer actually paid: goods and shipping less coupon and discount."""
        return self.goods + self.shipping - self.coupon - self.discount


class Case(BaseModel):
    """One refund request. Unknown guard facts are None: "to check", never guessed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = ""
    order_state: str
    request_type: str
    return_progress: str = "not_requested"
    negotiation: str = "not_started"
    grounds_to_refuse: bool = False
    customer_disputes: bool = False
    platform_intervention: str = "none"
    address_checked: bool | None = None
    customer_info_verified: bool | None = None
    merchant_balance: Decimal | None = None
    requested_at: datetime
    amounts: Amounts
    refund_method: str = "balance"
    reason: str | None = None

    @field_validator("requested_at", mode="before")
    @classmethod
    def _aware(cls, v: Any) -> datetime:
        return parse_time(v, "requested_at")

    @field_validator("merchant_balance", mode="before")
    @classmethod
    def _balance(cls, v: Any) -> Decimal | None:
        return None if v is None else to_money(v, "merchant_balance")


def _fmt_loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after[_deductions_fit(), Amounts]",)) or "case"


def parse_case(data: Any, sop) -> Case:
    """Validate raw data (a dict from YAML/JSON) into a Case allowed by `sop`."""
    if isinstance(data, Case):
        case = data
    else:
        if not isinstance(data, dict):
            raise CaseError("case", f"expected a mapping of fields, got {type(data).__name__}")
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "missing (required)"
            elif err["type"] == "extra_forbidden":
                msg = "unknown field (see `refundkit decide --schema`)"
            raise CaseError(_fmt_loc(loc), msg) from None
    for name in CASE_FACTS:
        fact = sop.facts[name]
        value = getattr(case, name)
        if value is None:
            continue
        if value not in fact.domain():
            raise CaseError(name, f"unknown value {value!r} (expected one of {', '.join(map(str, fact.domain()))})")
    limit = sop.parameters.amount_limit
    if limit is not None:
        for name in ("goods", "shipping", "coupon", "discount"):
            if getattr(case.amounts, name) > limit.max_yuan:
                raise CaseError(f"amounts.{name}", limit.refused("en"))
    if case.refund_method not in sop.method_by_id:
        raise CaseError("refund_method", f"unknown method {case.refund_method!r} (expected one of {', '.join(sop.method_by_id)})")
    if case.reason is not None and case.reason not in {r.id for r in sop.reasons}:
        raise CaseError("reason", f"unknown reason {case.reason!r} (expected one of {', '.join(r.id for r in sop.reasons)})")
    return case


CASE_MAX_BYTES = 64 * 1024  # a case is a few hundred bytes


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a case can hold")


def read_case_file(path: str | Path, sop) -> Case:
    """Load a case from .yaml/.yml/.json; every failure is a CaseError naming the file."""
    path = Path(path)
    try:
        text = read_yaml_text(path, CASE_MAX_BYTES)  # refuses binary, non-UTF-8 and huge files
        data = json.loads(text, parse_constant=_no_constant) if path.suffix.lower() == ".json" else load_yaml(text)
    except OSError as exc:
        raise CaseError(str(path), f"cannot read the file ({exc.strerror})") from None
    except YamlError as exc:
        raise CaseError(str(path), str(exc)) from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise CaseError(str(path), f"not valid JSON: {exc}") from None
    try:
        return parse_case(data, sop)
    except CaseError as exc:
        raise CaseError(f"{path}: {exc.field}", str(exc).split(": ", 1)[1]) from None


def case_schema(sop) -> dict:
    """JSON Schema of a case, with the allowed values read from the SOP."""
    schema = Case.model_json_schema()
    props = schema["properties"]
    for name in CASE_FACTS:
        fact = sop.facts[name]
        props[name]["description"] = f"{fact.zh} / {fact.en}"
        if not fact.is_bool:
            props[name]["enum"] = fact.domain()
    props["refund_method"]["enum"] = list(sop.method_by_id)
    props["requested_at"]["description"] = "ISO time with offset, e.g. 2026-11-20T10:00:00+08:00"
    return schema


__all__ = ["Amounts", "Case", "CaseError", "CASE_FACTS", "parse_case", "read_case_file", "case_schema",
           "ClockError", "MoneyError"]

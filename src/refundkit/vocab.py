"""Bottom layer: the words the code and the SOP file share (fact names, amount fields, urgency).

Imports nothing of the kit. The SOP file labels every name here in Chinese and English;
`sop.cross_check` is given these names and refuses an SOP that labels others or misses one.
"""
from __future__ import annotations

LANGS = ("zh", "en")

# Facts a case carries (order status, guards, ...): each is a field of `cases.Case`.
CASE_FACTS = (
    "order_state", "request_type", "return_progress", "negotiation", "grounds_to_refuse",
    "customer_disputes", "platform_intervention", "address_checked", "customer_info_verified",
)
# Facts the engine computes from a case and "now" (yes/no facts in the SOP).
DERIVED_FACTS = ("overdue", "balance_sufficient")
# Every fact a rule or a caution may test.
KNOWN_FACTS = CASE_FACTS + DERIVED_FACTS
# Yes/no facts a case may leave unknown ("to check", never guessed).
UNKNOWN_ALLOWED = ("address_checked", "customer_info_verified")

# Amount fields of a case, in yuan; the SOP's amount components name these.
AMOUNT_FIELDS = ("goods", "shipping", "coupon", "discount")
# How an amount component enters the refund (the SOP's `treatment`).
TREATMENT_SIGN = {"include": 1, "deduct": -1, "ignore": 0}

# How close the deadline is, most urgent first.
URGENCY = ("overdue", "due_soon", "on_time")
# A caution's state for one case ("" in a frame: the caution does not apply).
CAUTION_STATUS = ("ok", "failed", "to_check", "info")
# The action a payout becomes while a blocking caution fails.
BLOCKED = "blocked"

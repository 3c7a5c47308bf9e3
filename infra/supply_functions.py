"""The functions of supply (docs/supply.md): the wholesale API other platforms buy through, suppliers'
callbacks, and the scheduled sync of suppliers' prices and stock, each with the rights its service needs.

A reseller's request is checked against its secret, sealed under the shop's secret (no KMS), and uses up
its nonce (one conditional PutItem). Calls to suppliers go out over HTTPS with their secrets, which the
wiring reads from the shop's secret with the rest (KAMENG_SUPPLIER_<NAME>_SECRET).
"""
from __future__ import annotations

from policies import (GET_ITEM, OPEN_CARD_KEYS, READ_SECRETS, SEAL_CARD_KEYS, SEND_MAIL, Function, Trigger, reads,
                      writes)

USE_NONCE = writes("UseNonce", ["dynamodb:PutItem"])
# A charge and its order: the balance's ADD with the charge item, the reservation's transaction, the payment
# applied as a payment event would be, the delivery; a failed order's charge given back. The answer opens the
# order's keys; delivery and low-stock mail as for any order.
CHARGE_AND_DELIVER = (reads(), writes("ChargePlaceAndDeliver"), OPEN_CARD_KEYS, READ_SECRETS, SEND_MAIL)


def _wholesale(name: str, does: str, grants: tuple, **extra) -> Function:
    return Function(f"Wholesale{name}", does, f"Wholesale API function failed: {does} (unhandled error or timeout)",
                    grants, **extra)


SUPPLY_FUNCTIONS: dict[str, Function] = {
    # ---------------------------------------------------------------- wholesale API (货源对接)
    # The reseller and the price book by key, the stock counters in one batch.
    "kameng.handlers.wholesale:get_catalogue": _wholesale(
        "Catalogue", "a reseller's price and stock feed",
        (reads("ReadResellerAndStock", ["dynamodb:GetItem", "dynamodb:BatchGetItem"]), USE_NONCE, READ_SECRETS)),
    "kameng.handlers.wholesale:get_balance": _wholesale(
        "Balance", "a reseller's balance and credit limit", (reads("ReadReseller", GET_ITEM), USE_NONCE, READ_SECRETS)),
    "kameng.handlers.wholesale:place_order": _wholesale(
        "PlaceOrder", "charge a reseller once per request id, then place, pay and deliver its order",
        CHARGE_AND_DELIVER),
    # A retry finishes what a crashed request left undone, so it may do all that placing does.
    "kameng.handlers.wholesale:get_order": _wholesale(
        "Order", "a reseller's order by its request id, finished if it was left half done", CHARGE_AND_DELIVER),
    # ---------------------------------------------------------------- suppliers
    # Verified against the supplier's secret before it is read; then applied to its attempt under a condition:
    # card keys sealed into stock as a batch of their supplier, the order delivered (and mailed), or the next
    # supplier tried, or the order refunded through the gateway when none is left.
    "kameng.handlers.supply:callback": Function(
        "SupplierCallback", "verify a supplier's signed callback and apply it to its attempt once",
        "Supplier callback function failed (unhandled error or timeout); the supplier will call again",
        (reads(), writes("ApplySupplyAndDeliver"), SEAL_CARD_KEYS, READ_SECRETS, SEND_MAIL),
        # Trying the next suppliers may take three of their timeouts (3 x 10 s): the HTTP API answers after
        # 30 s, and the function finishes the attempt it is in.
        timeout=60),
    # Each supplier's catalogue (its secret from the shop's secret); the price books that list it and the
    # synced prices and stock kept beside them. No Scan: the main price book names the suppliers.
    "kameng.handlers.sync:handler": Function(
        "SupplierSync", "read every supplier's prices and stock and keep them for the SKUs that list it",
        "Supplier sync failed (unhandled error or timeout); prices and stock stay as last synced until the next run",
        (reads("ReadPriceBooksAndSyncRecords", ["dynamodb:GetItem", "dynamodb:Query"]), writes("KeepSyncedOffers"),
         READ_SECRETS),
        # A catalogue call per supplier, 10 s at most each.
        timeout=120,
        trigger=Trigger("Every 15 minutes", "EveryQuarterHour", "Schedule",
                        {"Schedule": "rate(15 minutes)", "Description": "Kameng supplier price and stock sync"})),
}

"""The functions of supply (docs/supply.md): the wholesale API other platforms buy through, suppliers'
callbacks, and the scheduled sync of suppliers' prices and stock, each with the rights its service needs.

A reseller's request is checked against its secret, sealed under the shop's secret (no KMS), and uses up
its nonce (one conditional PutItem). Calls to suppliers go out over HTTPS with their secrets, which the
wiring reads from the shop's secret with the rest (KAMENG_SUPPLIER_<NAME>_SECRET).
"""
from __future__ import annotations

from owner_functions import CONTENT, SITE
from policies import (GET_ITEM, OPEN_CARD_KEYS, READ_SECRETS, SEAL_CARD_KEYS, SEND_MAIL, Function, Trigger, allow,
                      reads, writes)

USE_NONCE = writes("UseNonce", ["dynamodb:PutItem"])
# A charge and its order: the balance's ADD with the charge item, the reservation's transaction, the payment
# applied as a payment event would be, the delivery, from stock or bought from the upstream's own suppliers
# (card keys they return sealed into stock first, as a batch of their supplier); a failed order's charge given
# back. The answer opens the order's keys or message; delivery and low-stock mail as for any order.
CHARGE_AND_DELIVER = (reads(), writes("ChargePlaceAndDeliver"), OPEN_CARD_KEYS, SEAL_CARD_KEYS, READ_SECRETS,
                      SEND_MAIL)
# Up to three suppliers in a row at 10 s each: the HTTP API answers after 30 s (the caller asks again with the
# same request id, which is never bought twice), and the function finishes the attempt it is in.
SUPPLIERS_IN_A_ROW = 60


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
        CHARGE_AND_DELIVER, timeout=SUPPLIERS_IN_A_ROW),
    # A retry finishes what a crashed request left undone, so it may do all that placing does.
    "kameng.handlers.wholesale:get_order": _wholesale(
        "Order", "a reseller's order by its request id, finished if it was left half done", CHARGE_AND_DELIVER,
        timeout=SUPPLIERS_IN_A_ROW),
    # ---------------------------------------------------------------- suppliers
    # Verified against the supplier's secret before it is read; then applied to its attempt under a condition:
    # card keys sealed into stock as a batch of their supplier, the order delivered (and mailed), or the next
    # supplier tried, or the order refunded through the gateway when none is left.
    "kameng.handlers.supply:callback": Function(
        "SupplierCallback", "verify a supplier's signed callback and apply it to its attempt once",
        "Supplier callback function failed (unhandled error or timeout); the supplier will call again",
        (reads(), writes("ApplySupplyAndDeliver"), SEAL_CARD_KEYS, READ_SECRETS, SEND_MAIL),
        timeout=SUPPLIERS_IN_A_ROW),
    # Each supplier's catalogue (its secret from the shop's secret), as services/supply_sync.py reads and keeps
    # them: the price books (the stations' list is one partition's query, no Scan) and the SKUs' last sync
    # records in one batch; a SYNC item per SKU put whole, and the run's audit entry (Puts in a transaction).
    # Then services/supply_sync_site.py: content's suppliers/synced.yaml replaced (never deleted), and the
    # stations where a SKU halted or resumed built and published as the console's publish does (no price book
    # written, no invalidation). One run at a time, so two runs never interleave their writes of the site.
    "kameng.handlers.sync:handler": Function(
        "SupplierSync", "read every supplier's prices and stock, keep them per SKU, halt a SKU sold below cost, "
        "publish the stations that changed",
        "Supplier sync failed (unhandled error or timeout); prices and stock stay as last synced until the next run",
        # UpdateItem: the station's publish lease is let go (services/rollout.py).
        (reads("ReadPriceBooksAndSyncRecords"),
         writes("KeepSyncRecordsAndAudit", ["dynamodb:PutItem", "dynamodb:UpdateItem"]), READ_SECRETS,
         allow("WriteSyncedCosts", ["s3:GetObject", "s3:PutObject", "s3:ListBucket"], CONTENT),
         allow("WriteSite", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"], SITE)),
        # A catalogue call per supplier (10 s at most each), then a build of the stations that changed.
        timeout=300, memory=1024, reserved_concurrency=1,
        trigger=Trigger("Every 15 minutes", "EveryQuarterHour", "Schedule",
                        {"Schedule": "rate(15 minutes)", "Description": "Kameng supplier price and stock sync"})),
}

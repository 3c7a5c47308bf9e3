"""The owner console's functions: one per /api/owner route, each with the rights its service needs.

Every one of them finds the owner first (kameng.handlers.owner.gate): the owner's token or session by key,
with the shop's secret to check a session's signature. That is every owner function's floor. A change an
owner makes appends to the audit log in the table, which `writes` covers.
"""
from __future__ import annotations

from typing import Any

from policies import (FEW_PER_SECOND, GET_ITEM, OPEN_CARD_KEYS, READ_SECRETS, SEAL_CARD_KEYS, SEND_MAIL, Function,
                      allow, reads, writes)

FLOOR = (reads(), READ_SECRETS)
# A ticket's change of state moves its queue entry and frees its key's lock; a cleared threshold is deleted.
WRITE_AND_DELETE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
UPLOADS = {"Fn::Sub": "${UploadsBucket.Arn}/private/uploads/*"}
CONTENT = [{"Fn::GetAtt": ["ContentBucket", "Arn"]}, {"Fn::Sub": "${ContentBucket.Arn}/*"}]
SITE = [{"Fn::GetAtt": ["SiteBucket", "Arn"]}, {"Fn::Sub": "${SiteBucket.Arn}/*"}]
READ_CONTENT = allow("ReadContent", ["s3:GetObject", "s3:ListBucket"], CONTENT)


def owner_function(name: str, does: str, *grants: dict[str, Any], **extra: Any) -> Function:
    """An owner route's function: the floor's rights and its own."""
    return Function(f"Owner{name}", does, f"Owner console function failed: {does} (unhandled error or timeout)",
                    (*FLOOR, *grants), **extra)


def _handler(module: str, name: str) -> str:
    return f"kameng.handlers.owner.{module}:{name}"


OWNER_FUNCTIONS: dict[str, Function] = {
    # ---------------------------------------------------------------- sign-in
    _handler("session", "sign_in"): Function(
        "OwnerSignIn", "mail an owner a one-time console link, rate limited, same answer for every address",
        "Owner console function failed: sign-in link (unhandled error or timeout)",
        # The owner by e-mail; the link's hash (PutItem) and the rate-limit counters (UpdateItem ADD).
        (reads("ReadOwner", GET_ITEM), writes("KeepLinkAndCount"), READ_SECRETS, SEND_MAIL),
        route_settings=FEW_PER_SECOND),
    # The link marked used, the new secret sealed under the shop's secret (no KMS).
    _handler("session", "start_session"): owner_function(
        "Session", "use a console link once; set up the second factor the first time", writes("UseLinkKeepSecret"),
        route_settings=FEW_PER_SECOND),
    # The code's step kept (UpdateItem), the guess counter (ADD) and the audit entry of a first set-up.
    _handler("session", "verify_code"): owner_function(
        "SecondFactor", "check a TOTP code once; start the console session", writes("AcceptCodeAndAudit"),
        route_settings=FEW_PER_SECOND),
    _handler("session", "sign_out"): Function(
        "OwnerSignOut", "clear the console session cookie",
        "Owner console function failed: sign-out (unhandled error or timeout)"),
    _handler("session", "me"): owner_function("Me", "who is signed in, and their stations"),
    # ---------------------------------------------------------------- statistics (rollups only)
    _handler("stats", "station_dashboard"): owner_function("Dashboard", "a station's dashboard from the rollups"),
    _handler("stats", "platform_dashboard"): owner_function(
        "PlatformDashboard", "every station's dashboard side by side, and the platform's total"),
    # ---------------------------------------------------------------- orders
    _handler("orders", "search_orders"): owner_function("Orders", "search a station's orders, or export them"),
    _handler("orders", "get_order"): owner_function("Order", "one order, keys masked, with its ledger"),
    _handler("orders", "reveal_key"): owner_function(
        "RevealKey", "one key of an order in full, audited", OPEN_CARD_KEYS, writes("AuditReveal")),
    # The mail's order link carries the order's token, sealed under the shop's secret (no KMS).
    _handler("orders", "resend_delivery"): owner_function(
        "ResendDelivery", "send the delivery mail again", writes("CountAndAudit"), SEND_MAIL),
    # The gateway's refund is a call to Stripe; the store records it with the ledger and the audit entry.
    _handler("orders", "refund_order"): owner_function(
        "RefundOrder", "refund an order, or some of its keys", writes("RecordRefund"), SEND_MAIL),
    # A manual product's delivery text is sealed under the card-key context, as the order page opens it.
    _handler("money", "deliver_order"): owner_function(
        "DeliverOrder", "deliver a manual order by hand, or a paid order that needs attention from stock",
        writes("Deliver"), SEAL_CARD_KEYS, SEND_MAIL),
    # An approved held order is delivered as a confirmed payment's is; a rejected one is refunded through its rail.
    _handler("review", "approve_order"): owner_function(
        "ApproveOrder", "deliver an order the risk rules held", writes("Approve"), SEAL_CARD_KEYS, SEND_MAIL),
    _handler("review", "reject_order"): owner_function(
        "RejectOrder", "refund an order the risk rules held", writes("RecordRefund"), SEND_MAIL),
    # ---------------------------------------------------------------- bank transfers (对公)
    _handler("transfers", "list_transfers"): owner_function(
        "Transfers", "a station's orders awaiting a bank transfer, and the refunds it owes by hand"),
    # A matched transfer is a payment: applied, delivered and mailed as the webhook does it.
    _handler("transfers", "import_statement"): owner_function(
        "ImportStatement", "match a bank statement's transfers to orders by reference and amount",
        writes("ApplyTransfers"), SEAL_CARD_KEYS, SEND_MAIL),
    _handler("transfers", "confirm_transfer"): owner_function(
        "ConfirmTransfer", "confirm one bank transfer by hand", writes("ApplyTransfer"), SEAL_CARD_KEYS, SEND_MAIL),
    # Only a record on the order and its audit entry: the money itself left the owner's bank, not the shop.
    _handler("transfers", "refund_paid"): owner_function(
        "RefundPaid", "record a bank refund as paid back to the buyer", writes("RecordRefundPaid")),
    # ---------------------------------------------------------------- after-sales
    _handler("tickets", "list_tickets"): owner_function("Tickets", "a station's after-sales queue"),
    _handler("tickets", "get_ticket"): owner_function("Ticket", "one ticket with its order, keys masked"),
    _handler("tickets", "reply"): owner_function(
        "ReplyTicket", "answer a ticket and tell the shopper", writes("Reply", WRITE_AND_DELETE), SEND_MAIL),
    _handler("tickets", "replace_key"): owner_function(
        "ReplaceKey", "void a reported key and give the order a fresh one", writes("ReplaceKey", WRITE_AND_DELETE), SEND_MAIL),
    _handler("tickets", "refund_key"): owner_function(
        "RefundKey", "refund a reported key", writes("RecordRefund", WRITE_AND_DELETE), SEND_MAIL),
    # ---------------------------------------------------------------- stock
    _handler("stock", "list_stock"): owner_function("Stock", "a station's stock per SKU"),
    _handler("stock", "set_threshold"): owner_function("Threshold", "set a SKU's low-stock threshold",
                                                        writes("KeepThreshold", WRITE_AND_DELETE)),
    # Presigning needs the right to put what the URL lets the browser put.
    _handler("stock", "open_upload"): owner_function(
        "OpenUpload", "a presigned upload of a key file", writes("ClaimUpload"),
        allow("PresignUpload", ["s3:PutObject"], [UPLOADS])),
    # 100,000 keys: sealed under data keys from KMS (one per 100,000), written in transactions.
    _handler("stock", "import_upload"): owner_function(
        "ImportUpload", "import an uploaded key file", writes("AddKeys"), SEAL_CARD_KEYS,
        allow("ReadAndDeleteUpload", ["s3:GetObject", "s3:DeleteObject"], [UPLOADS]),
        timeout=900, memory=1024),
    _handler("stock", "void_keys"): owner_function("VoidKeys", "void available keys", writes("VoidKeys")),
    # ---------------------------------------------------------------- money
    _handler("money", "list_coupons"): owner_function("Coupons", "the coupons a station gave"),
    _handler("money", "give_coupon"): owner_function("GiveCoupon", "give a shopper a coupon", writes("GiveCoupon")),
    _handler("money", "list_withdrawals"): owner_function("Withdrawals", "referrers' withdrawal requests"),
    _handler("money", "settle_withdrawal"): owner_function(
        "SettleWithdrawal", "mark a referrer's withdrawal paid or rejected", writes("SettleWithdrawal")),
    _handler("money", "get_statement"): owner_function("Statement", "a station's settlement statement"),
    _handler("money", "list_payouts"): owner_function("Payouts", "a station's payout requests"),
    _handler("money", "request_payout"): owner_function(
        "RequestPayout", "a substation asks for its balance", writes("RequestPayout")),
    _handler("money", "decide_payout"): owner_function(
        "DecidePayout", "approve, pay or reject a substation's payout", writes("DecidePayout")),
    # ---------------------------------------------------------------- content
    _handler("content", "get_content"): owner_function("Content", "a station's content files", READ_CONTENT),
    # A trial build of the station's content, in /tmp.
    _handler("content", "check_content"): owner_function(
        "CheckContent", "check edits with the build and preview them", READ_CONTENT, timeout=120, memory=1024),
    # Calls never overlap, so two publishes never interleave their writes of content and site. No
    # invalidation: a function naming the Distribution, which depends on the API, would close a dependency
    # cycle, and the edges revalidate pages within a minute anyway (s-maxage=60; assets are new names).
    _handler("content", "publish_content"): owner_function(
        "PublishContent", "write a station's content, build it and publish its site", writes("PublishPriceBook"),
        allow("WriteContent", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"], CONTENT),
        allow("WriteSite", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"], SITE),
        timeout=300, memory=1024, reserved_concurrency=1),
    # ---------------------------------------------------------------- audit log
    _handler("audit", "station_audit"): owner_function("Audit", "a station's audit log, or its export"),
    _handler("audit", "platform_audit"): owner_function("PlatformAudit", "every station's audit log"),
    _handler("audit", "verify_audit"): owner_function("VerifyAudit", "check the audit log's hash chain", timeout=60),
}

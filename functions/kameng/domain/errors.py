"""Typed domain errors. `http.py` maps each to a status code in one table."""
from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    code = "invalid_request"

    def __init__(self, message: str, fields: list[dict] | None = None):
        super().__init__(message)
        self.fields = fields or []


class UnknownStation(DomainError):
    code = "unknown_station"


class RailNotOffered(DomainError):
    """A payment rail this station does not take, or this deployment has no credentials for."""

    code = "rail_not_offered"


class UnknownSku(DomainError):
    code = "unknown_sku"


class QuantityOutOfRange(DomainError):
    code = "quantity_out_of_range"


class SoldOut(DomainError):
    code = "sold_out"


class NotSelling(SoldOut):
    """The SKU's supplier cost rose above what this station charges: it stops selling until the cost falls."""

    code = "not_selling"


class NotFound(DomainError):
    code = "not_found"


class NotRefundable(DomainError):
    """The order, or the keys named, cannot be refunded as it stands (not delivered, refunded already...)."""

    code = "not_refundable"


class RefundNotOwed(DomainError):
    """The order owes no refund by hand: not a bank order, or not refunded (by hand) at all."""

    code = "refund_not_owed"


class RefundPaidAlready(DomainError):
    """The refund was recorded as paid back with another bank reference: the first record stands."""

    code = "refund_paid_already"


class Forbidden(DomainError):
    """The owner's role may not do this at their station (another station's resource is NotFound instead)."""

    code = "forbidden"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidSignature(DomainError):
    code = "invalid_signature"


class Busy(DomainError):
    """Too many buyers raced for the same stock at once; trying again will work."""

    code = "busy"


class GatewayUnavailable(DomainError):
    code = "gateway_unavailable"


class InvalidSignIn(DomainError):
    """A sign-in link that is unknown, used already or expired: one answer for all three."""

    code = "invalid_sign_in"


class SignedOut(DomainError):
    """No session cookie, or one that is tampered with or expired."""

    code = "signed_out"


class FlashSaleSoldOut(SoldOut):
    """The flash sale's quantity is gone: the sale is over for this order (never charged at a higher price).

    A SoldOut, so a payment that arrives after its reservation lapsed and finds the sale's
    quantity gone is refunded like one that finds the keys gone."""

    code = "flash_sale_sold_out"


class ShopperLimit(SoldOut):
    """This shopper reached a per-shopper limit (a flash sale's, or a SKU's daily one)."""

    code = "shopper_limit"


class CouponUsedUp(SoldOut):
    """The coupon's uses (in all, or this shopper's) are taken: by paid orders, or by pending ones
    until they lapse. A SoldOut, so a late payment that finds it used is refunded like one that finds
    the keys gone."""

    code = "coupon_used_up"


class ReferralRefused(DomainError):
    """A referral link that cannot bind this shopper: unknown, their own, or they are not new."""

    code = "referral_refused"


class NotEnoughPoints(DomainError):
    code = "not_enough_points"


class CouponNotApplicable(DomainError):
    """The coupon exists but does not apply to this order; `reason` says which rule refused it."""

    code = "coupon_not_applicable"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NothingToWithdraw(DomainError):
    """Less is withdrawable than the station's minimum payout."""

    code = "nothing_to_withdraw"


class RequestInProgress(DomainError):
    """A request with this idempotency key is still being processed: trying again soon will get its answer."""

    code = "request_in_progress"


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used for another request: a client's key names one request only."""

    code = "idempotency_key_reused"


class UploadUsed(DomainError):
    """The upload was imported already (or is being imported): an upload is imported once."""

    code = "upload_used"


class UploadMissing(DomainError):
    """The upload's file was not put yet, or was not the size the upload was opened for."""

    code = "upload_missing"


class UploadTooLarge(DomainError):
    code = "upload_too_large"


class NotDeliverable(DomainError):
    code = "order_not_deliverable"


class PayoutOverBalance(DomainError):
    """The amount asked for is more than the balance due to the station less what it asked for already."""

    code = "payout_over_balance"


class PayoutWrongStatus(DomainError):
    """The payout is not in a status the action can move it from (paid and rejected ones are final)."""

    code = "payout_wrong_status"


class ContentInvalid(InvalidRequest):
    """The edited content fails the build's validation; `fields` carry each `file: field: expectation` line."""

    code = "content_invalid"

    def __init__(self, messages: list[str]):
        super().__init__("内容有误，未发布：" + "；".join(messages[:3]) + ("……" if len(messages) > 3 else ""),
                         [{"loc": message.split(":", 1)[0], "msg": message} for message in messages])
        self.messages = messages


class ContentChanged(DomainError):
    """The station's content changed since the editor read it: publishing would overwrite someone's work."""

    code = "content_changed"


class SupplierUnavailable(DomainError):
    """No answer that can be trusted: a timeout, a 5xx, or the supplier's circuit is open.

    The order may still have been taken upstream (a timeout), so the caller asks again with the
    same request id, or moves on under a new one and reconciles the late answer."""

    code = "supplier_unavailable"


class SupplierRefused(DomainError):
    """A definite no from the supplier: nothing was bought, nothing was charged; `reason` is theirs."""

    code = "supplier_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidCallback(DomainError):
    """A callback that is not applied: unsigned, forged, stale, for an unknown request, or a wrong amount."""

    code = "invalid_callback"


class ResellerUnauthorized(DomainError):
    """A wholesale request that is unsigned, forged, stale, replayed, or from an unknown or inactive reseller."""

    code = "reseller_unauthorized"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class InsufficientBalance(DomainError):
    """The reseller's balance and credit limit together do not cover the order: nothing was charged."""

    code = "insufficient_balance"


class WholesaleRefused(DomainError):
    """A wholesale order the upstream will not take; `reason` says why (nothing was charged, or it was given back)."""

    code = "wholesale_refused"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RiskBlocked(DomainError):
    """A station's risk rules (domain/risk.py) refuse this buyer; the message never says which rule."""

    code = "risk_blocked"


class RiskVelocity(DomainError):
    """This client placed as many orders this hour as the station's risk rules allow."""

    code = "risk_velocity"

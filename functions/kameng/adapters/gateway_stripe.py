"""The Stripe gateway: Checkout Sessions, their expiry, refunds, and signed webhooks.

One `stripe.StripeClient` is made on the first call to Stripe and reused (the
library takes a tenth of a second to import: a function that only reads webhooks,
whose signature stripe_events checks, never loads it); nothing here touches the
network until a method is called. Every POST carries an
idempotency key derived from the order, so a retry (the library's own, or a
Lambda running twice) gets Stripe's first answer back instead of a second
session or a second refund.

Stripe's rules this adapter follows (docs.stripe.com, API reference):
- `expires_at` must lie between 30 minutes and 24 hours after the session is
  created; Stripe refuses anything outside.
- WeChat Pay in Checkout needs `payment_method_options.wechat_pay.client`.
- Only an `open` session can be expired; expiring one that is already
  `complete` or `expired` is an error on Stripe's side, not on ours.
- With a destination charge (`transfer_data.destination`) a refund must
  reverse the transfer and refund the application fee, or the platform alone
  pays the refund.
"""
from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Sequence

import functools

from kameng.adapters import stripe_events
from kameng.domain.money import format_minor
from kameng.domain.order import PaymentEvent
from kameng.domain.rail_numbers import refund_number as refund_idempotency_key
from kameng.ports.outside import Acknowledgement, Notification, PaymentSession, SessionRequest, TakeBack

if TYPE_CHECKING:
    import stripe

log = logging.getLogger(__name__)

METHODS = ("card", "alipay", "wechat_pay")
# Stripe Checkout's locale for each station language.
STRIPE_LOCALES = {"zh-CN": "zh", "en": "en"}

# Stripe refuses an expires_at sooner than 30 minutes or later than 24 hours after creation.
MIN_SESSION_LIFETIME = timedelta(minutes=30)
MAX_SESSION_LIFETIME = timedelta(hours=24)
# Our clock against Stripe's, plus the request's time in flight (and its retries).
CLOCK_MARGIN = timedelta(minutes=2)
# The floor is rounded up to this step so that two calls for one order a few
# seconds apart send the same parameters, which Stripe's idempotency requires.
EXPIRY_STEP_SECONDS = 300

# The library's retries (connection errors, 409, 5xx) reuse the request's
# idempotency key. StripeClient defaults to none, unlike the global stripe.max_network_retries.
MAX_NETWORK_RETRIES = 2
# Connect and read timeouts of the default HTTP client. Three tries of at most
# 8 s plus the library's back-off stay inside API Gateway's 30 s.
REQUEST_TIMEOUT = (2.0, 6.0)

# A session that is past taking money: expiring it again has nothing to do.
FINISHED = ("complete", "expired")


def _stripe():
    import stripe

    return stripe


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def session_expiry(requested: datetime, now: datetime) -> int:
    """The `expires_at` Stripe will accept that is closest to the reservation's own expiry.

    The order's reservation may lapse sooner than Stripe lets a session end (the
    default reservation is 15 minutes, Stripe's minimum 30). The sweeper then
    expires the session as the reservation lapses, and a payment that still lands
    goes to needs_attention (and is refunded where its keys are gone): the longer
    session never sells a key twice.
    """
    floor = now + MIN_SESSION_LIFETIME + CLOCK_MARGIN
    floor_ts = math.ceil(floor.timestamp() / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS
    ceiling_ts = math.floor((now + MAX_SESSION_LIFETIME - CLOCK_MARGIN).timestamp())
    return min(max(math.ceil(requested.timestamp()), floor_ts), ceiling_ts)


def checkout_idempotency_key(order_id: str) -> str:
    return f"checkout-{order_id}"




class StripeGateway:
    rail = "stripe"
    window = None

    def __init__(
        self,
        api_key: str,
        webhook_secret: str,
        http_client: stripe.HTTPClient | None = None,
        methods: Sequence[str] = METHODS,
        *,
        clock: Callable[[], datetime] = utc_now,
        max_network_retries: int = MAX_NETWORK_RETRIES,
    ):
        if not api_key:
            raise ValueError("a Stripe API key is required")
        if not webhook_secret:
            raise ValueError("a Stripe webhook signing secret is required")
        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods:
            raise ValueError(f"payment methods must be some of {METHODS}, got {tuple(methods)!r}")
        self.methods = tuple(methods)
        self.clock = clock
        self._webhook_secret = webhook_secret
        # The key is kept for the client alone (it becomes the Authorization header);
        # the library logs URLs and form bodies, never headers.
        self._api_key = api_key
        self._http_client = http_client
        self._max_network_retries = max_network_retries

    def __repr__(self) -> str:
        return f"StripeGateway(methods={self.methods!r})"

    @functools.cached_property
    def _client(self):
        stripe = _stripe()
        http_client = self._http_client if self._http_client is not None else stripe.RequestsClient(timeout=REQUEST_TIMEOUT)
        return stripe.StripeClient(self._api_key, http_client=http_client, max_network_retries=self._max_network_retries)

    # the port

    def create_session(self, request: SessionRequest) -> PaymentSession:
        """Open a Checkout Session for one order; stripe.StripeError propagates (checkout maps it)."""
        session = self._client.v1.checkout.sessions.create(
            self.session_params(request),
            {"idempotency_key": checkout_idempotency_key(request.order_id)},
        )
        if not getattr(session, "url", None):
            raise _stripe().APIError(f"Stripe returned checkout session {session.id} without a URL")
        log.info("stripe checkout session opened", extra={"order_id": request.order_id, "session_id": session.id})
        return PaymentSession(id=session.id, url=session.url)

    def expire_session(self, session_id: str) -> None:
        try:
            self._client.v1.checkout.sessions.expire(session_id)
        except _stripe().InvalidRequestError as error:
            # Stripe answers 400 when the session is no longer open ("Only Checkout Sessions
            # with a status in ["open"] can be expired"). Ask for its status rather than
            # parse the wording: finished is fine, anything else is a real error.
            status = getattr(self._client.v1.checkout.sessions.retrieve(session_id), "status", None)
            if status not in FINISHED:
                raise error
            log.info("stripe checkout session already finished", extra={"session_id": session_id, "status": status})
            return
        log.info("stripe checkout session expired", extra={"session_id": session_id})

    def session_payment(self, session_id: str) -> PaymentEvent | None:
        # `payment_status` is "paid" once the money is taken: at completion for a card, at
        # async_payment_succeeded for a delayed method; `payment_intent` is an id unless expanded.
        session = self._client.v1.checkout.sessions.retrieve(session_id)
        return stripe_events.paid_session(session.to_dict())

    def verify_event(self, notification: Notification) -> PaymentEvent:
        return stripe_events.verify(notification.body, notification.headers.get("stripe-signature"), self._webhook_secret)

    def acknowledge(self, event: PaymentEvent) -> Acknowledgement:
        return stripe_events.ACKNOWLEDGEMENT

    # give money back

    def refund(self, payment_ref: str, amount: int | None, order_id: str, attempt: int = 0,
               take_back: TakeBack | None = None) -> str:
        """Refund a payment (all of it when `amount` is None) and return the refund's id.

        Idempotent per order, amount and attempt for Stripe's 24-hour key window; the
        caller records the refund so it never asks again after that. For a destination
        charge the connected account's transfer is reversed and the platform's
        application fee refunded, each in proportion to the amount.
        Stripe refunds Alipay and WeChat Pay asynchronously (`refund.updated`,
        `refund.failed`): the id means "asked for", not "money returned".
        """
        if amount is not None and amount <= 0:
            raise ValueError(f"a refund amount must be positive, got {amount}")
        intent = self._client.v1.payment_intents.retrieve(payment_ref)
        params: dict = {"payment_intent": payment_ref, "metadata": {"order_id": order_id}}
        if amount is not None:
            params["amount"] = amount
        if getattr(intent, "transfer_data", None):
            params["reverse_transfer"] = True
        if getattr(intent, "application_fee_amount", None):
            params["refund_application_fee"] = True
        refund = self._client.v1.refunds.create(
            params, {"idempotency_key": refund_idempotency_key(order_id, amount, attempt)})
        log.info("stripe refund created",
                 extra={"order_id": order_id, "refund_id": refund.id, "refund_status": getattr(refund, "status", None)})
        return refund.id

    # what is sent

    def session_params(self, request: SessionRequest) -> dict:
        if request.quantity < 1 or request.unit_price * request.quantity - request.discount != request.total:
            # Stripe charges the line items' sum; the order's total must be exactly that, or the
            # webhook's amount check would flag every payment of this order.
            raise ValueError(f"order {request.order_id}: total {request.total} is not "
                             f"{request.quantity} × {request.unit_price} − {request.discount}")
        metadata = {"order_id": request.order_id, "station": request.station}
        intent: dict = {"metadata": metadata}
        if request.payout_account:
            # Destination charge: the platform charges, keeps the application fee,
            # and transfers the rest to the station's connected account.
            intent["transfer_data"] = {"destination": request.payout_account}
            if request.application_fee > 0:
                intent["application_fee_amount"] = request.application_fee
        params: dict = {
            "mode": "payment",
            "line_items": [line_item(request)],
            "payment_method_types": list(self.methods),
            "customer_email": request.email,
            "client_reference_id": request.order_id,
            "metadata": metadata,
            "payment_intent_data": intent,
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": session_expiry(request.expires_at, self.clock()),
            # Checkout in the station's language; "auto" (the browser's) when the shop did not say.
            "locale": STRIPE_LOCALES.get(request.language, "auto"),
        }
        if "wechat_pay" in self.methods:
            # Stripe refuses wechat_pay in Checkout without the client it will be paid from.
            params["payment_method_options"] = {"wechat_pay": {"client": "web"}}
        return params


def line_item(request: SessionRequest) -> dict:
    """The one line Stripe shows and charges.

    A discounted order is one line for the whole, named with its quantity:
    Stripe's own coupons would need objects made in Stripe for every member
    level and shop coupon, and its unit price × quantity could not carry a
    discount that does not divide by the quantity.
    """
    if not request.discount:
        unit_amount, quantity, name = request.unit_price, request.quantity, request.title
    else:
        unit_amount, quantity, name = request.total, 1, f"{request.title} × {request.quantity}"
    product: dict = {"name": name}
    if request.discount:
        money = request.currency.upper()
        product["description"] = (f"{request.quantity} × {format_minor(request.unit_price, money)}"
                                  f" − {format_minor(request.discount, money)}")
    return {"price_data": {"currency": request.currency.lower(), "unit_amount": unit_amount, "product_data": product},
            "quantity": quantity}

"""One rail, its real adapter talking to its sandbox over HTTP on 127.0.0.1, as the contract suite drives it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kameng.ports.outside import Notification, PaymentGateway, PaymentSession, SessionRequest


@dataclass
class Harness:
    rail: str
    gateway: PaymentGateway
    # The sandbox takes the payer's money for the session (`amount` in fen; None: the order's total) and
    # returns the notification it sent, exactly as the rail sends it.
    pay: Callable[[PaymentSession, SessionRequest, int | None], Notification]
    # The same notification with its signature broken (a byte of the signature changed).
    forge: Callable[[Notification], Notification]
    # The same notification with no signature at all.
    unsigned: Callable[[Notification], Notification]
    # The same notification with a field of what was paid changed after signing (amount or order number).
    tamper: Callable[[Notification], Notification]
    # A correctly signed notification dated too long ago for the rail's rules; None where the rail dates none.
    stale: Callable[[PaymentSession, SessionRequest], Notification] | None
    # Stop the sandbox's server.
    close: Callable[[], None]

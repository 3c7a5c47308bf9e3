"""Members of a station, their referral chain and their personal coupons."""
from __future__ import annotations

import itertools
from typing import Iterable

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Cancelled, Named, Table, n, number, s
from kameng.domain.member import IssuedCoupon, Member, MemberDelta
from kameng.ports.store import Duplicate


def member_from(station: str, shopper_key: str, item: dict | None) -> Member:
    if item is None:
        return Member(station=station, shopper_key=shopper_key)
    return Member(
        station=station, shopper_key=shopper_key, spend=number(item, "spend"), points=number(item, "points"),
        orders=number(item, "orders"), invitees=number(item, "invitees"), withdrawn=number(item, "withdrawn"),
        referral_code=item.get("referral_code", {}).get("S"), referrer=item.get("referrer", {}).get("S"),
        ancestors=tuple(a["S"] for a in item.get("ancestors", {}).get("L", [])),
    )


def member_credit(delta: MemberDelta | None) -> list[Named]:
    """What an order's delivery or refund adds to its shopper's counters."""
    if delta is None:
        return []
    return [Named("member", {"Update": {
        "Key": keys.member(delta.station, delta.shopper_key),
        "UpdateExpression": "ADD #spend :spend, #points :points, #orders :orders",
        "ExpressionAttributeNames": {"#spend": "spend", "#points": "points", "#orders": "orders"},
        "ExpressionAttributeValues": {":spend": n(delta.spend), ":points": n(delta.points), ":orders": n(delta.orders)},
    }})]


def coupon_puts(coupons: Iterable[IssuedCoupon], listed: bool = True) -> list[Named]:
    """A coupon by its code, and in its owner's member partition for the account page.

    Its uses live in its quota counter, so writing the same coupon again changes nothing.
    """
    items = []
    for coupon in coupons:
        body = s(coupon.model_dump_json())
        items.append(Named(f"coupon:{coupon.code}", {"Put": {
            "Item": keys.coupon(coupon.station, coupon.code) | {"body": body, "owner": s(coupon.owner)}}}))
        items.append(Named(f"member-coupon:{coupon.code}", {"Put": {
            "Item": keys.member_coupon(coupon.station, coupon.owner, coupon.code) | {"body": body}}}))
        if listed:
            items.append(Named(f"issued-coupon:{coupon.code}", {"Put": {"Item": issued_item(coupon)}}))
    return items


def issued_item(coupon: IssuedCoupon) -> dict:
    return keys.issued_coupon(coupon.station, coupon.issued_at, coupon.code) | {"body": s(coupon.model_dump_json())}


def list_issued(table: Table, coupons: Iterable[IssuedCoupon]) -> None:
    """The station's listing of coupons a delivery gave, put after its transaction (which may hold 98 items);
    a repeat puts the same item again."""
    for coupon in coupons:
        table.put(issued_item(coupon))


class DynamoMembers:
    def __init__(self, table: Table):
        self.table = table

    def member(self, station: str, shopper_key: str) -> Member:
        return member_from(station, shopper_key, self.table.get(keys.member(station, shopper_key)))

    def open_member(self, station: str, shopper_key: str, referral_code: str) -> Member:
        member = self.member(station, shopper_key)
        if member.referral_code is not None:
            return member
        try:
            self.table.transact([
                Named("referral_code", {"Put": {
                    "Item": keys.referral_code(station, referral_code) | {"shopper_key": s(shopper_key)},
                    "ConditionExpression": "attribute_not_exists(pk) OR shopper_key = :me",
                    "ExpressionAttributeValues": {":me": s(shopper_key)}}}),
                Named("member", {"Update": {
                    "Key": keys.member(station, shopper_key), "UpdateExpression": "SET #code = :code",
                    "ConditionExpression": "attribute_not_exists(#code)",
                    "ExpressionAttributeNames": {"#code": "referral_code"},
                    "ExpressionAttributeValues": {":code": s(referral_code)}}}),
            ])
        except Cancelled as cancelled:
            if "referral_code" in cancelled.failed:
                raise Duplicate(f"referral code {referral_code} belongs to another shopper") from None
            # Given a code by a racing call already: that one stays.
        return self.member(station, shopper_key)

    def member_by_code(self, station: str, referral_code: str) -> Member | None:
        item = self.table.get(keys.referral_code(station, referral_code))
        return None if item is None else self.member(station, item["shopper_key"]["S"])

    def bind_referrer(self, station: str, shopper_key: str, referrer: Member, ancestors: tuple[str, ...],
                      welcome: IssuedCoupon | None) -> bool:
        # The chain copied into the invitee is the referrer's as read: bind only if it has not changed since.
        if referrer.referrer is None:
            still = "attribute_exists(pk) AND attribute_not_exists(#referrer)"
            still_values: dict = {}
        else:
            still, still_values = "#referrer = :theirs", {":theirs": s(referrer.referrer)}
        items = [
            Named("member", {"Update": {
                "Key": keys.member(station, shopper_key),
                "UpdateExpression": "SET #referrer = :referrer, #ancestors = :ancestors",
                "ConditionExpression": "attribute_not_exists(#referrer) AND (attribute_not_exists(#orders) OR #orders = :zero)"
                                       " AND (attribute_not_exists(#invitees) OR #invitees = :zero)",
                "ExpressionAttributeNames": {"#referrer": "referrer", "#orders": "orders", "#invitees": "invitees",
                                             "#ancestors": "ancestors"},
                "ExpressionAttributeValues": {":referrer": s(referrer.shopper_key), ":zero": n(0),
                                              ":ancestors": {"L": [s(a) for a in ancestors]}},
            }}),
            Named("referrer", {"Update": {
                "Key": keys.member(station, referrer.shopper_key),
                "UpdateExpression": "ADD #invitees :one", "ConditionExpression": still,
                "ExpressionAttributeNames": {"#invitees": "invitees", "#referrer": "referrer"},
                "ExpressionAttributeValues": {":one": n(1)} | still_values,
            }}),
        ] + coupon_puts(() if welcome is None else (welcome,))
        return self.table.transact_or_refuse(items, "a referral binding")

    def redeem_points(self, station: str, shopper_key: str, points: int, coupon: IssuedCoupon) -> bool:
        items = [Named("member", {"Update": {
            "Key": keys.member(station, shopper_key),
            "UpdateExpression": "ADD #points :spent", "ConditionExpression": "#points >= :points",
            "ExpressionAttributeNames": {"#points": "points"},
            "ExpressionAttributeValues": {":spent": n(-points), ":points": n(points)},
        }})] + coupon_puts((coupon,))
        return self.table.transact_or_refuse(items, "a points redemption")

    def issue_coupon(self, coupon: IssuedCoupon) -> None:
        self.table.transact_or_refuse(coupon_puts((coupon,)), "issuing a coupon")

    def coupon(self, station: str, code: str) -> IssuedCoupon | None:
        item = self.table.get(keys.coupon(station, code))
        return None if item is None else IssuedCoupon.model_validate_json(item["body"]["S"])

    def coupons_of(self, station: str, shopper_key: str) -> list[tuple[IssuedCoupon, int]]:
        return self._with_uses(station, [IssuedCoupon.model_validate_json(item["body"]["S"])
                                         for item in self.table.items_under(keys.member_coupons(station, shopper_key))])

    def station_coupons(self, station: str, limit: int) -> list[tuple[IssuedCoupon, int]]:
        found = self.table.items_under(keys.issued_coupons(station), ScanIndexForward=False, Limit=limit)
        return self._with_uses(station, [IssuedCoupon.model_validate_json(item["body"]["S"])
                                         for item in itertools.islice(found, limit)])

    def _with_uses(self, station: str, coupons: list[IssuedCoupon]) -> list[tuple[IssuedCoupon, int]]:
        uses = {coupon.code: keys.coupon_uses(station, coupon.code) for coupon in coupons}
        sold = {item["pk"]["S"]: number(item, "sold") for item in self.table.batch_get(list(uses.values()), ("pk", "sold"))}
        return [(coupon, sold.get(uses[coupon.code]["pk"]["S"], 0)) for coupon in coupons]

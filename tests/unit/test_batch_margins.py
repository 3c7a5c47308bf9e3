"""Margin per key batch in the settlement, worked out by hand."""
from kameng.domain.settlement import BatchMargin, SettlementLine, batch_margins


def line(order_id: str, gross: int) -> SettlementLine:
    return SettlementLine(order_id=order_id, status="delivered", paid=gross, gross=gross, discounts=0, platform_fee=0,
                          commissions=0, refunded=0, net=gross, transferred=0, balance_due=gross)


def test_an_orders_gross_is_split_evenly_over_its_keys_with_the_remainder_to_the_first():
    # 100.01 over three keys: 33.34, 33.34, 33.33 (the first two keys take the remainder's two fen).
    margins = batch_margins([(line("o1", 10001), [("B1", False), ("B2", False), ("B2", False)])],
                            {"B1": 3000, "B2": 3500})
    assert margins == (BatchMargin("B1", 1, 0, 3334, 3000), BatchMargin("B2", 2, 0, 6667, 7000))
    assert [m.margin for m in margins] == [334, -333]


def test_refunded_keys_sell_nothing_but_cost_and_unknown_costs_and_old_keys_have_no_margin():
    margins = batch_margins([
        (line("o1", 2000), [("B1", True), ("B1", False)]),
        (line("o2", 1500), [(None, False)]),
        (line("o3", 900), [("B0", False)]),
    ], {"B1": 700, "B0": None})
    assert margins == (BatchMargin("B0", 1, 0, 900, None), BatchMargin("B1", 2, 1, 1000, 1400),
                       BatchMargin(None, 1, 0, 1500, None))
    assert [m.margin for m in margins] == [None, -400, None]

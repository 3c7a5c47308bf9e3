from kameng.domain.settlement import COLUMNS as STATEMENT_COLUMNS
from kameng.handlers.owner.gate import csv_response, owner_api, path_param, query, wants_csv
from kameng.http import body_fields, parse, respond
from kameng.services import hand_delivery, owner_money
from kameng.services.owner_money import AskPayout, DecidePayout, GiveCoupon, Settle
from kameng.wiring import deps


@owner_api
def deliver_order(event, owner):
    # A manual product's order carries the delivery's text; a needs_attention order takes keys from stock.
    message = body_fields(event).get("message") if event.get("body") else None
    return respond(200, hand_delivery.deliver(owner, path_param(event, "id"), deps(),
                                              message if isinstance(message, str) else None))


@owner_api
def list_coupons(event, owner):
    return respond(200, owner_money.coupons(owner, path_param(event, "station"), deps()))


@owner_api
def give_coupon(event, owner):
    request = parse(GiveCoupon, body_fields(event))
    return respond(201, owner_money.give_coupon(owner, path_param(event, "station"), request, deps()))


@owner_api
def list_withdrawals(event, owner):
    return respond(200, owner_money.withdrawals(owner, path_param(event, "station"), query(event, "status"), deps()))


@owner_api
def settle_withdrawal(event, owner):
    request = parse(Settle, body_fields(event))
    return respond(200, owner_money.settle_withdrawal(owner, path_param(event, "station"), path_param(event, "id"),
                                                      request, deps()))


@owner_api
def get_statement(event, owner):
    first, last = owner_money.period(query(event, "from"), query(event, "to"), deps().clock())
    report = owner_money.statement(owner, path_param(event, "station"), first, last, deps())
    if wants_csv(event):
        totals = report.totals
        rows = [[getattr(line, name) for name in STATEMENT_COLUMNS] for line in report.lines]
        rows.append(["total", ""] + [totals[name] for name in STATEMENT_COLUMNS[2:]])
        return csv_response(f"statement-{report.station}-{first}-{last}.csv", STATEMENT_COLUMNS, rows)
    return respond(200, owner_money.statement_view(report, first, last))


@owner_api
def list_payouts(event, owner):
    return respond(200, owner_money.payouts(owner, path_param(event, "station"), deps()))


@owner_api
def request_payout(event, owner):
    request = parse(AskPayout, body_fields(event))
    return respond(201, owner_money.request_payout(owner, path_param(event, "station"), request, deps()))


@owner_api
def decide_payout(event, owner):
    request = parse(DecidePayout, body_fields(event))
    return respond(200, owner_money.decide_payout(owner, path_param(event, "station"), path_param(event, "id"),
                                                  request, deps()))

"""What `kameng remote` prints from the owner API's answers: the same tables the local commands print."""
from __future__ import annotations

from kameng.cli.output import indent, pairs, table, utc
from kameng.domain.money import format_minor

PERIOD_NAMES = {"1": "today", "7": "7 days", "30": "30 days"}


def amount(minor: int | None, currency: str | None = None) -> str:
    """Money of the API (minor units); the dashboards name no currency, so theirs is a plain number."""
    if minor is None:
        return "-"
    if currency:
        return format_minor(minor, currency)
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    return f"{sign}{major:,}.{cents:02d}"


def percent(basis_points: int | None) -> str:
    return "-" if basis_points is None else f"{basis_points // 100}.{basis_points % 100:02d}%"


def whoami(me: dict) -> str:
    return pairs([("e-mail", me["email"]), ("role", me["role"]), ("station", me["station"] or "* (every station)"),
                  ("stations", ", ".join(me.get("stations") or []) or "-"), ("main station", me.get("main_station"))])


def _period_rows(periods: dict, label: str = "") -> list[list[object]]:
    return [[*([label] if label else []), PERIOD_NAMES.get(n, f"{n} days"), amount(p["gmv"]), p["orders"], p["keys"],
             amount(p["average_order"]), amount(p["refunded"]), p["refunds"], percent(p["refund_rate_bp"]),
             p.get("paying_buyers", "-"), percent(p.get("conversion_bp"))] for n, p in periods.items()]


PERIOD_HEADERS = ["period", "GMV", "orders", "keys", "average order", "refunded", "refunds", "refund rate", "buyers",
                  "conversion"]


def dashboard(board: dict) -> str:
    parts = [f"statistics of {board['station']} to {board['today']} ({board['time_zone']}), in the station's currency:",
             table(PERIOD_HEADERS, _period_rows(board["periods"]), right=range(1, 10)), "", "days:",
             table(["day", "GMV", "orders", "keys", "refunded", "refunds"],
                   [[d["day"], amount(d["gmv"]), d["orders"], d["keys"], amount(d["refunded"]), d["refunds"]]
                    for d in board["days"][-7:]], right=range(1, 6))]
    for title, ranked in (("by revenue", board["best_sellers"]["by_revenue"]),
                          ("by keys", board["best_sellers"]["by_keys"])):
        parts += ["", f"best sellers, 30 days, {title}:"]
        parts.append(table(["sku", "GMV", "keys", "orders"], [[s["sku"], amount(s["gmv"]), s["keys"], s["orders"]]
                                                              for s in ranked], right=(1, 2, 3)) if ranked else "  none")
    parts += ["", "stock cover:", table(["sku", "available", "sold 30 days", "days"],
                                        [[c["sku"], c["available"], c.get("sold_30_days", "-"), "-" if c["cover_days"] is None
                                          else c["cover_days"]] for c in board["cover"]], right=(1, 2, 3))]
    return "\n".join(parts)


def platform(board: dict) -> str:
    rows = [row for s in board["stations"] for row in _period_rows(s["periods"], s["station"])]
    rows += _period_rows(board["total"]["periods"], "total")
    return table(["station", *PERIOD_HEADERS], rows, right=range(2, 11))


def orders(found: dict) -> str:
    if not found["orders"]:
        return "no orders"
    rows = [[o["id"], utc(o["created_at"]), o["sku"], o["quantity"], amount(o["total"], o["currency"]), o["status"],
             o["email"], o.get("refunded_keys", 0)] for o in found["orders"]]
    text = table(["id", "created (UTC)", "sku", "qty", "total", "status", "e-mail", "keys refunded"], rows,
                 right=(3, 4, 7))
    if found.get("next_cursor"):
        text += f"\nmore: --cursor {found['next_cursor']}"
    return text


def order(shown: dict) -> str:
    o = shown["order"]
    facts = [("order", o["id"]), ("status", o["status"]), ("station", o["station"]),
             ("sku", f"{o['sku']} ({o.get('title', '')})"),
             ("quantity", f"{o['quantity']} x {amount(o.get('unit_price'), o['currency'])}"),
             ("total", amount(o["total"], o["currency"])), ("e-mail", o["email"]),
             ("created (UTC)", utc(o["created_at"])), ("updated (UTC)", utc(o.get("updated_at"))),
             ("payment ref", o.get("payment_ref") or "-")]
    if o.get("attention_reason"):
        facts.append(("needs attention", o["attention_reason"]))
    if o.get("refund_id"):
        facts.append(("refund", f"{o['refund_id']} ({o.get('refund_reason') or '-'})"))
    ledger = [[e["account"], amount(e["amount"], e["currency"]), e["memo"]] for e in shown["ledger"]]
    keys = [[k["key_id"], k.get("masked") or k.get("problem") or "-", "yes" if k.get("refunded") else "no"]
            for k in shown["keys"]]
    return "\n".join([pairs(facts), "", "ledger",
                      indent(table(["account", "amount", "memo"], ledger, right=(1,))) if ledger else "  no entries",
                      "", "keys (masked)",
                      indent(table(["key id", "key", "refunded"], keys)) if keys else "  none held by this order"])


def tickets(found: dict) -> str:
    if not found["tickets"]:
        return "no tickets"
    rows = [[t["id"], t["order_id"], t["sku"], t["reason"], t["status"], utc(t["created_at"]),
             _waited(t.get("waited_seconds")), t["messages"]] for t in found["tickets"]]
    return table(["ticket", "order", "sku", "reason", "status", "created (UTC)", "waited", "messages"], rows,
                 right=(6, 7))


def _waited(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"


def stock(listing: dict) -> str:
    rows = [[s["sku"], s["title"], s["available"], s["reserved"], s["sold"], s["void"], s["imported"], s["low_stock"],
             "LOW" if s["low"] else ""] for s in listing["skus"]]
    return table(["sku", "title", "available", "reserved", "sold", "void", "imported", "low at", ""], rows,
                 right=range(2, 8))


def imported(report: dict) -> str:
    lines = [f"imported {report['added']}, duplicates {report['duplicates']}, malformed {report['rejected']} "
             f"into {report['sku']} (upload {report['upload_id']})"]
    lines += [f"  line {r['line']}: {r['reason']}" for r in report.get("rejected_lines", [])[:20]]
    if len(report.get("rejected_lines", [])) > 20:
        lines.append(f"  … and {len(report['rejected_lines']) - 20} more (--json lists them all)")
    return "\n".join(lines)


def voided(result: dict) -> str:
    lines = [f"voided {len(result['voided'])} key(s) of {result['sku']}"]
    lines += [f"  held, left alone: {h['key_id']} ({h['status']})" for h in result["held"]]
    lines += [f"  unknown: {u}" for u in result["unknown"]]
    return "\n".join(lines)


def audit(page: dict) -> str:
    if not page["entries"]:
        return "no audit entries"
    rows = [[e["seq"], utc(e["at"]), e["actor"], e["station"], e["action"], e["subject"]] for e in page["entries"]]
    text = table(["seq", "at (UTC)", "actor", "station", "action", "subject"], rows, right=(0,))
    if page.get("next_after") is not None:
        text += f"\nmore: --after {page['next_after']}"
    return text


def withdrawals(found: dict) -> str:
    if not found["withdrawals"]:
        return "no withdrawals"
    rows = [[w["id"], utc(w["requested_at"]), w["referrer"], amount(w["amount"], found["currency"]), w["method"],
             w["account"], w["name"], w["status"]] for w in found["withdrawals"]]
    return table(["id", "requested (UTC)", "referrer", "amount", "method", "account", "name", "status"], rows,
                 right=(3,))


def payouts(found: dict) -> str:
    currency = found["currency"]
    head = pairs([("balance due", amount(found["balance_due"], currency)),
                  ("committed", amount(found["committed"], currency)),
                  ("available", amount(found["available"], currency))])
    if not found["payouts"]:
        return head + "\n\nno payouts"
    rows = [[p["id"], utc(p["requested_at"]), amount(p["amount"], p["currency"]), p["status"], p["requested_by"],
             p.get("note") or "-", p.get("decision_note") or "-"] for p in found["payouts"]]
    return head + "\n\n" + table(["id", "requested (UTC)", "amount", "status", "by", "note", "decision"], rows,
                                 right=(2,))

"""The keys of resellers and what moves their balance (keys.py, which lays out the rest of the table, is full).

| item            | pk                        | sk                    | attributes                                          |
| --------------- | ------------------------- | --------------------- | --------------------------------------------------- |
| reseller        | RESELLERS                 | RESELLER#<id>         | name, station, key_id, sealed_secret (B),           |
|                 |                           |                       | credit_limit, currency, created_at, active, balance |
|                 |                           |                       | (ADD, under `balance >= amount - credit_limit`)     |
| top-up          | RESELLER#<id>             | TOPUP#<reference>     | amount, at: put if absent with the balance's ADD    |
| charge          | RESELLER#<id>             | CHARGE#<request id>   | amount, order_id, charged_at, given_back (BOOL):    |
|                 |                           |                       | put if absent with the balance's ADD; given back    |
|                 |                           |                       | under `given_back = false`, with the ADD back       |
| nonce           | NONCE#<id>#<nonce>        | NONCE                 | expires_at; put unless kept and not expired;        |
|                 |                           |                       | expires (TTL) tidies up                             |

A platform has a handful of resellers, so they share one partition and listing them is one query. Each
charge writes its reseller's item: about 1,000 charges/s per partition, far above wholesale traffic.
"""
from __future__ import annotations

from kameng.adapters.dynamodb.keys import Key, Range
from kameng.adapters.dynamodb.table import s

_RESELLERS, _RESELLER = "RESELLERS", "RESELLER#"


def reseller(reseller_id: str) -> Key:
    return {"pk": s(_RESELLERS), "sk": s(f"{_RESELLER}{reseller_id}")}


def all_resellers() -> Range:
    return _RESELLERS, _RESELLER


def top_up(reseller_id: str, reference: str) -> Key:
    return {"pk": s(f"{_RESELLER}{reseller_id}"), "sk": s(f"TOPUP#{reference}")}


def charge(reseller_id: str, request_id: str) -> Key:
    return {"pk": s(f"{_RESELLER}{reseller_id}"), "sk": s(f"CHARGE#{request_id}")}


def nonce(reseller_id: str, value: str) -> Key:
    return {"pk": s(f"NONCE#{reseller_id}#{value}"), "sk": s("NONCE")}

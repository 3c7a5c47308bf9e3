"""Which payment rail an order is paid by, and from what kind of browser."""
from __future__ import annotations

import re

from kameng.domain.errors import RailNotOffered
from kameng.domain.price_book import PriceBook

# WeChat's own browser names itself; phones and tablets say so in every common browser.
_WECHAT = re.compile(r"MicroMessenger", re.IGNORECASE)
_PHONE = re.compile(r"Mobile|Android|iPhone|iPad|iPod|HarmonyOS|OpenHarmony", re.IGNORECASE)
# What the pay step calls each rail.
RAIL_NAMES = {"alipay": "支付宝", "wechat": "微信支付", "stripe": "银行卡", "epay": "聚合支付", "bank": "对公转账"}


def paying_from(user_agent: str | None) -> str:
    """"wechat" inside WeChat, "phone" on a phone or tablet, else "desktop" (ports/outside.SessionRequest.device)."""
    agent = user_agent or ""
    if _WECHAT.search(agent):
        return "wechat"
    return "phone" if _PHONE.search(agent) else "desktop"


def chosen_rail(book: PriceBook, asked: str | None) -> str:
    """The rail the shopper chose, or the station's first; RailNotOffered for one the station does not take."""
    if not asked:
        return book.rails[0]
    if asked not in book.rails:
        raise RailNotOffered(f"本站不支持这种付款方式：{asked}；可选：{'、'.join(RAIL_NAMES.get(r, r) for r in book.rails)}")
    return asked

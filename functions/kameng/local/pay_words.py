"""What the card sandbox's pay page says, in the language the shop opened the session in (Stripe's `locale`)."""
from __future__ import annotations

WORDS = {
    "zh-CN": {
        "lang": "zh-CN", "title": "沙箱收银台", "badge": "沙箱支付 · 不会产生真实扣款",
        "missing": "支付会话不存在", "missing_hint": "链接有误或会话已被清理。",
        "quantity": "数量", "amount": "应付金额", "order": "订单号", "until": "有效期至",
        "method": "支付方式", "card": "银行卡 (Visa / Mastercard / 银联)", "alipay": "支付宝", "wechat_pay": "微信支付",
        "qr_alt": "扫码支付二维码", "qr_caption": "支付宝 / 微信支付：扫码后点击「支付成功」模拟付款",
        "pay": "支付成功", "fail": "支付失败", "expire": "让订单过期", "cancel": "取消并返回商店",
        "complete": "此会话已完成", "view_order": "查看订单", "back": "返回商店",
        "expired": "此会话已过期，库存已退回", "order_again": "返回商店重新下单",
        "unknown_method": "未知的支付方式", "unknown_action": "未知的操作", "ended": "此会话已结束，无法支付",
        "failed": "支付失败：已通知商店，库存已退回", "expired_now": "已让会话过期：已通知商店，库存已退回",
        "not_told": "已付款，但通知商店失败：",
    },
    "en": {
        "lang": "en", "title": "Sandbox checkout", "badge": "Sandbox payment · no real money is taken",
        "missing": "No such payment session", "missing_hint": "The link is wrong or the session was cleared.",
        "quantity": "Quantity", "amount": "Amount due", "order": "Order", "until": "Pay before",
        "method": "Payment method", "card": "Card (Visa / Mastercard / UnionPay)", "alipay": "Alipay",
        "wechat_pay": "WeChat Pay", "qr_alt": "QR code to pay by scanning",
        "qr_caption": "Alipay / WeChat Pay: scan, then click “Payment succeeds” to simulate paying",
        "pay": "Payment succeeds", "fail": "Payment fails", "expire": "Let the order expire",
        "cancel": "Cancel and return to the shop", "complete": "This session is complete", "view_order": "View order",
        "back": "Back to the shop", "expired": "This session has expired; the stock was returned",
        "order_again": "Back to the shop to order again", "unknown_method": "Unknown payment method",
        "unknown_action": "Unknown action", "ended": "This session has ended and cannot be paid",
        "failed": "Payment failed: the shop was told and the stock returned",
        "expired_now": "The session was expired: the shop was told and the stock returned",
        "not_told": "Paid, but telling the shop failed: ",
    },
}


def words_for(language: str | None) -> dict[str, str]:
    """The page's words in the session's language; Chinese, the sandbox's own, when the shop named none."""
    return WORDS.get(language or "", WORDS["zh-CN"])

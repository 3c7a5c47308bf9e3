"""The payment rails besides Stripe, as a process builds them from its configuration.

Each rail is built the first time an order needs it, so its SDK is imported then and not at start.
With credentials it talks to the provider; without (only where Stripe is the sandbox too) it is the
same adapter talking to the rail's sandbox, which the local server serves under /_sandbox/<rail>/.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

from kameng.adapters.rail_directory import RailDirectory
from kameng.config import Config
from kameng.ports.outside import PaymentGateway

# Where the sandboxes keep their keys and trades, beside the shop's own data.
SANDBOX_FOLDER = "rails-sandbox"


def sandbox_dir(config: Config) -> Path:
    return config.data_dir / SANDBOX_FOLDER


def sandbox_base(config: Config, rail: str) -> str:
    return f"{config.sandbox_url.rstrip('/')}/_sandbox/{rail}"


def alipay(config: Config, refund_notify: Callable[[], str]) -> PaymentGateway:
    from kameng.adapters.gateway_alipay import PRODUCTION_GATEWAY, AlipayGateway

    rails = config.rails
    options = {"qr": rails.flag("KAMENG_ALIPAY_QR"), "max_share_percent": rails.max_share_percent("alipay")}
    if rails.has_credentials("alipay"):
        return AlipayGateway(rails["KAMENG_ALIPAY_APP_ID"], rails["KAMENG_ALIPAY_PRIVATE_KEY"],
                             rails["KAMENG_ALIPAY_PUBLIC_KEY"], rails["KAMENG_ALIPAY_GATEWAY"] or PRODUCTION_GATEWAY,
                             **options)
    from kameng.adapters.sandbox_alipay_keys import SANDBOX_APP_ID, sandbox_keys

    keys = sandbox_keys(sandbox_dir(config))
    return AlipayGateway(SANDBOX_APP_ID, keys.app_private, keys.alipay_public,
                         f"{sandbox_base(config, 'alipay')}/gateway.do", **options)


def wechat(config: Config, refund_notify: Callable[[], str]) -> PaymentGateway:
    from kameng.adapters.gateway_wechat import WechatGateway

    rails = config.rails
    options = {"notify_url": refund_notify(), "max_share_percent": rails.max_share_percent("wechat")}
    if rails.has_credentials("wechat"):
        return WechatGateway(rails["KAMENG_WECHAT_MCHID"], rails["KAMENG_WECHAT_APPID"], rails["KAMENG_WECHAT_SERIAL"],
                             rails["KAMENG_WECHAT_PRIVATE_KEY"], rails["KAMENG_WECHAT_APIV3_KEY"],
                             public_key_pem=rails["KAMENG_WECHAT_PUBLIC_KEY"],
                             public_key_id=rails["KAMENG_WECHAT_PUBLIC_KEY_ID"],
                             app_secret=rails["KAMENG_WECHAT_APP_SECRET"], **options)
    from kameng.adapters.sandbox_wechat_keys import sandbox_keys

    # The sandbox stands in for 网页授权 too, and its pay page for WeChat's pay sheet.
    base = sandbox_base(config, "wechat")
    return WechatGateway(**sandbox_keys(sandbox_dir(config)).gateway_args(), gateway_url=base, oauth_urls=(base, base),
                         sandbox_pages=base, **options)


def epay(config: Config, refund_notify: Callable[[], str]) -> PaymentGateway:
    from kameng.adapters.gateway_epay import EpayGateway

    rails = config.rails
    if rails.has_credentials("epay"):
        return EpayGateway(rails["KAMENG_EPAY_URL"], rails["KAMENG_EPAY_PID"], rails["KAMENG_EPAY_KEY"],
                           server_side=rails.flag("KAMENG_EPAY_SERVER_SIDE"))
    from kameng.adapters.sandbox_epay import sandbox_keys

    pid, key = sandbox_keys(sandbox_dir(config))
    return EpayGateway(sandbox_base(config, "epay") + "/", pid, key, server_side=rails.flag("KAMENG_EPAY_SERVER_SIDE"))


def bank(config: Config, refund_notify: Callable[[], str]) -> PaymentGateway:
    from kameng.adapters.gateway_bank import BankTransferGateway

    return BankTransferGateway()


FACTORIES = {"alipay": alipay, "wechat": wechat, "epay": epay, "bank": bank}


def rails(config: Config, refund_notify: Callable[[str], str]) -> RailDirectory:
    """`refund_notify(rail)`: where the rail posts notifications of refunds (a payment's own go to its station)."""
    sandboxed = config.chosen_gateway == "sandbox"
    return RailDirectory({
        name: functools.partial(FACTORIES[name], config, functools.partial(refund_notify, name))
        for name in config.rails.chosen_rails(sandboxed)
    })


def sandboxes(config: Config, send) -> dict[str, Callable]:
    """The WSGI apps standing in for each rail this deployment runs on its sandbox, by rail (for the local server)."""
    from kameng.adapters.sandbox_alipay import AlipaySandbox
    from kameng.adapters.sandbox_epay import EpaySandbox
    from kameng.adapters.sandbox_wechat import WechatSandbox

    if config.chosen_gateway != "sandbox":
        return {}
    made = {"alipay": AlipaySandbox, "wechat": WechatSandbox, "epay": EpaySandbox}
    return {rail: made[rail](sandbox_dir(config), sandbox_base(config, rail), send=send)
            for rail in config.rails.chosen_rails(True) if rail in made and not config.rails.has_credentials(rail)}

"""`python -m kameng.local`: the whole shop on one machine."""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from kameng.config import REPO, ConfigError

WEBHOOK_PATH = "/api/webhooks/stripe"


def _resend(sandboxes: dict, log: logging.Logger) -> None:
    """The rails' sandboxes send again what the shop did not take, as the rails themselves do."""
    for rail, sandbox in sandboxes.items():
        try:
            if resent := sandbox.resend_due():
                log.info("%s sandbox notifications sent again: %d", rail, resent)
        except Exception:
            log.exception("sending %s sandbox notifications again failed; trying again next round", rail)


def _sweep_forever(interval: float, sandboxes: dict) -> None:
    from kameng.adapters.gateway_sandbox import SandboxGateway
    from kameng.services.sweeper import sweep
    from kameng.wiring import deps

    log = logging.getLogger("kameng.sweeper")
    stop = threading.Event()
    while not stop.wait(interval):
        gateway = deps().gateway
        if isinstance(gateway, SandboxGateway):
            # First the webhooks the shop has not taken (kept across restarts), so that the sweep
            # finds their payments applied the way Stripe's retries would apply them.
            try:
                if resent := gateway.resend_due_webhooks():
                    log.info("sandbox webhooks sent again: %d", resent)
            except Exception:
                log.exception("sending sandbox webhooks again failed; trying again next round")
        _resend(sandboxes, log)
        try:
            done = sweep(deps())
            if done:
                log.info("sweep: %s", dict(done))
        except Exception:
            log.exception("sweep failed; trying again next round")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kameng.local", description="Serve every built station, the API and the sandbox pay page.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--site", type=Path, default=REPO / "site")
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--sweep-seconds", type=float, default=5.0)
    parser.add_argument("--trusted-proxy", default=None,
                        help="address of a TLS-terminating proxy whose X-Forwarded-Proto/For headers are believed")
    args = parser.parse_args(argv)

    # The pages, the pay page and the webhook all live on this one server unless told otherwise.
    os.environ.setdefault("KAMENG_PUBLIC_URL", f"http://{{station}}.localhost:{args.port}")
    os.environ.setdefault("KAMENG_SANDBOX_URL", f"http://localhost:{args.port}")
    os.environ.setdefault("KAMENG_CONSOLE_URL", f"http://console.localhost:{args.port}")
    webhooks_to_self = "KAMENG_WEBHOOK_URL" not in os.environ
    os.environ.setdefault("KAMENG_WEBHOOK_URL", f"http://127.0.0.1:{args.port}{WEBHOOK_PATH}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    import waitress

    from kameng import config, wiring
    from kameng.local.server import LocalServer
    from kameng.sitegen.write import SiteBusy, ready

    # A build killed while installing pages leaves old and new mixed: serve neither half.
    try:
        if recovered := ready(args.site):
            print(f"kameng: {args.site}: {recovered}", file=sys.stderr)
    except SiteBusy as error:
        print(f"kameng: {error}", file=sys.stderr)
        return 1
    app = LocalServer(args.site, lambda: wiring.deps().gateway, args.port)
    # Past the socket: LocalServer.post_to_self says why a webhook to this very server goes that way.
    to_self = (lambda payload, headers: app.post_to_self(WEBHOOK_PATH, payload, headers)) if webhooks_to_self else None
    try:
        chosen = config.load()
        services = wiring.build(chosen, sandbox_webhooks=to_self)
    except (ConfigError, ValueError) as error:
        print(f"kameng: {error}", file=sys.stderr)
        return 2
    wiring.use(services)
    from kameng.rail_wiring import sandboxes

    app.rail_sandboxes = sandboxes(chosen, app.send_from_sandbox)
    stations = app.stations()
    print(f"Kameng is serving {len(stations)} station(s):", flush=True)
    for station in stations:
        print(f"  {station:<16} http://{station}.localhost:{args.port}/", flush=True)
    print(f"  {'index':<16} http://localhost:{args.port}/", flush=True)
    print(f"  {'owner console':<16} http://console.localhost:{args.port}/", flush=True)
    print(f"data: {chosen.table if chosen.store == 'dynamodb' else chosen.data_dir}   stop: Ctrl+C", flush=True)
    threading.Thread(target=_sweep_forever, args=(args.sweep_seconds, app.rail_sandboxes), daemon=True).start()
    proxy = {"trusted_proxy": args.trusted_proxy, "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"}} if args.trusted_proxy else {}
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, connection_limit=2000,
                   backlog=2048, channel_timeout=60, asyncore_use_poll=True, ident="kameng", **proxy)
    return 0


if __name__ == "__main__":
    sys.exit(main())

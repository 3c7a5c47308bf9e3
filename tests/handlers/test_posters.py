"""GET /api/posters/…: a poster PNG for a shopper, its ETag, and the refusals a shopper can meet."""
from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from kameng import poster_wiring
from kameng.adapters.poster_cache import FolderPosterCache
from kameng.domain.commissions import ReferralRule
from kameng.domain.price_book import PriceBook, PricedSku
from kameng.handlers import posters as posters_handler
from kameng.http import SESSION_COOKIE
from kameng.services import posters
from tests.handlers.conftest import Response
from tests.handlers.test_account import outbox, sign_in, signed_in, start_session  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def kept(tmp_path):
    poster_wiring.use(FolderPosterCache(tmp_path / "posters"))
    yield tmp_path / "posters"
    poster_wiring.use(None)


@pytest.fixture
def game_zone(deps):
    line = PricedSku(sku="steam-cny-50", product="steam-wallet", title="Steam 钱包充值卡 50 元", price=4990,
                     wholesale=4830, min_quantity=1, max_quantity=10, low_stock=0)
    deps.store.price_books.put_price_book(PriceBook(
        station="game-zone", domain="www.gamezone.example", name="游戏地带", currency="CNY",
        referrals=ReferralRule(levels_percent=(10,), welcome_coupon=500), skus={line.sku: line}))


@pytest.fixture
def get(api_event):
    def call(path: str, query: dict | None = None, session: str | None = None, headers: dict | None = None) -> Response:
        event = api_event("GET", path, query=query, headers=headers)
        event["cookies"] = [f"{SESSION_COOKIE}={session}"] if session else []
        handler = posters_handler.referral_poster if path.endswith("referral") else posters_handler.product_poster
        return Response(handler(event, None))

    return call


def _png(response: Response) -> Image.Image:
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert response.raw["isBase64Encoded"] is True
    return Image.open(io.BytesIO(base64.b64decode(response.raw["body"])))


PRODUCT = {"station": "game-zone", "product": "steam-wallet"}


def test_a_product_poster_is_a_png_any_cache_may_keep(game_zone, get):
    response = get("/api/posters/product", PRODUCT)
    assert _png(response).size == (600, 900)
    assert response.headers["cache-control"].startswith("public")
    assert response.headers["etag"].startswith('"')


def test_asking_again_with_the_etag_is_answered_not_modified_without_the_image(game_zone, get):
    etag = get("/api/posters/product", PRODUCT).headers["etag"]
    again = get("/api/posters/product", PRODUCT, headers={"if-none-match": etag})
    assert again.status == 304 and again.raw["body"] == "" and again.headers["etag"] == etag
    stale = get("/api/posters/product", PRODUCT, headers={"if-none-match": '"0123"'})
    assert stale.status == 200


def test_a_poster_is_drawn_once_then_served_from_where_it_is_kept(game_zone, get, kept, monkeypatch):
    first = get("/api/posters/product", PRODUCT)
    assert len(list(kept.glob("*.png"))) == 1
    monkeypatch.setattr(posters, "draw_product", lambda poster: pytest.fail("drawn again"))
    poster_wiring.use(FolderPosterCache(kept))  # as a new process finds it
    again = get("/api/posters/product", PRODUCT)
    assert again.raw["body"] == first.raw["body"]


@pytest.mark.parametrize("query, status, code", [
    ({"station": "nowhere", "product": "steam-wallet"}, 404, "unknown_station"),
    ({"station": "game-zone", "product": "no-such-thing"}, 404, "unknown_sku"),
    ({"station": "game-zone"}, 400, "invalid_request"),
    ({"station": "../etc", "product": "steam-wallet"}, 400, "invalid_request"),
])
def test_a_poster_of_something_the_station_does_not_sell_is_refused(game_zone, get, query, status, code):
    response = get("/api/posters/product", query)
    assert response.status == status and response.error["code"] == code and response.error["message"]


def test_a_signed_out_shopper_gets_no_referral_poster(game_zone, get):
    response = get("/api/posters/referral")
    assert response.status == 401 and response.error["code"] == "signed_out"


def test_a_signed_in_shopper_gets_their_referral_poster_kept_private(game_zone, get, signed_in):
    session = signed_in()
    response = get("/api/posters/referral", session=session)
    assert _png(response).size == (600, 900)
    assert response.headers["cache-control"].startswith("private")


def test_a_signed_in_shoppers_product_poster_is_their_own(game_zone, get, signed_in):
    guest = get("/api/posters/product", PRODUCT)
    own = get("/api/posters/product", PRODUCT, session=signed_in())
    assert own.headers["cache-control"].startswith("private")
    assert own.headers["etag"] != guest.headers["etag"]

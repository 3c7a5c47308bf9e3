"""GET /api/posters/referral and GET /api/posters/product: posters (推广海报) as PNG, with the poster's
content hash as ETag, so a shopper who opens one again is answered 304 without a byte of image."""
from __future__ import annotations

import base64

from pydantic import BaseModel, ConfigDict, Field

from kameng.http import SESSION_COOKIE, api, cookie, header, parse
from kameng.poster_wiring import poster_cache
from kameng.services import account, posters
from kameng.services.checkout import STATION_ID
from kameng.wiring import deps


class ProductPosterRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    station: str = Field(pattern=STATION_ID)
    product: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")


def png_response(event: dict, made: posters.PosterPng, private: bool) -> dict:
    etag = f'"{made.etag}"'
    headers = {"etag": etag, "vary": "Cookie",
               # A referral poster carries the shopper's own code: no shared cache may keep it.
               "cache-control": "private, max-age=300" if private else "public, max-age=3600"}
    if etag in (header(event, "if-none-match") or "").replace("W/", "").split(", "):
        return {"statusCode": 304, "headers": headers, "body": ""}
    return {"statusCode": 200, "headers": headers | {"content-type": "image/png"},
            "body": base64.b64encode(made.png).decode(), "isBase64Encoded": True}


@api
def referral_poster(event, context=None):
    session = account.read_session(cookie(event, SESSION_COOKIE), deps())
    made = posters.referral_poster(session.station, session.shopper_key, deps(), poster_cache())
    return png_response(event, made, private=True)


@api
def product_poster(event, context=None):
    request = parse(ProductPosterRequest, event.get("queryStringParameters") or {})
    shopper = account.session_shopper(cookie(event, SESSION_COOKIE), request.station, deps())
    made = posters.product_poster(request.station, request.product, deps(), poster_cache(), shopper_key=shopper)
    return png_response(event, made, private=shopper is not None)

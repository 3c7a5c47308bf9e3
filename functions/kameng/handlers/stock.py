from kameng.domain.errors import InvalidRequest
from kameng.http import api, respond
from kameng.services.stock import station_stock
from kameng.wiring import deps


@api
def handler(event, context=None):
    station = (event.get("queryStringParameters") or {}).get("station")
    if not station:
        raise InvalidRequest("缺少参数 station", fields=[{"loc": "station", "msg": "必填"}])
    # A few seconds of CDN caching turns a stampede of page views into one read.
    return respond(200, station_stock(station, deps()), {"cache-control": "public, max-age=5"})

"""The published price books, one item per station."""
from __future__ import annotations

import zlib

from kameng.adapters.dynamodb import keys
from kameng.adapters.dynamodb.table import Table, s
from kameng.domain.price_book import PriceBook

MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's limit for one item


class DynamoPriceBooks:
    def __init__(self, table: Table):
        self.table = table

    def put_price_book(self, book: PriceBook) -> None:
        # A thousand SKUs of JSON come near the 400 KB item limit; compressed they are a tenth of it.
        body = zlib.compress(book.model_dump_json().encode(), 6)
        if len(body) > MAX_ITEM_BYTES - 1024:
            raise ValueError(f"price book of {book.station} is {len(body)} bytes compressed, over DynamoDB's 400 KB item")
        # The roster first: a station listed whose book is not written yet reads as unknown, never lost.
        self.table.put(keys.station_listed(book.station))
        self.table.put(keys.price_book(book.station) | {"version": s(book.version), "body": {"B": body}})

    def price_book(self, station: str) -> PriceBook | None:
        item = self.table.get(keys.price_book(station))
        return None if item is None else PriceBook.model_validate_json(zlib.decompress(item["body"]["B"]))

    def stations(self) -> list[str]:
        return sorted(keys.listed_station(item) for item in self.table.items_under(keys.STATIONS))

"""What a station's mail says, from its station.yaml: the shop's name, and (`mail_keys`) whether the keys
go by mail, which the buy form's hint promises accordingly."""
from __future__ import annotations

from kameng.domain.price_book import PriceBook
from tests.build.conftest import Project, book_of

KEYS_HINT = "卡密也会发送到这个邮箱"
LINK_HINT = "订单链接会发送到这个邮箱，凭邮箱和查询密码可随时查询"


def published(project: Project) -> list[PriceBook]:
    calls: list[list[PriceBook]] = []
    project.build(publish=calls.append)
    return calls[0]


def test_the_price_book_carries_the_shop_name_and_does_not_mail_keys_by_default(project: Project) -> None:
    book = book_of(published(project), "game-zone")
    assert (book.name, book.domain, book.mail_keys) == ("游戏小站", "games.example.net", False)


def test_a_station_that_mails_keys_says_so_in_its_book(project: Project) -> None:
    project.edit("game-zone/station.yaml", "currency: CNY\n", "currency: CNY\nmail_keys: true\n")
    books = published(project)
    assert (book_of(books, "game-zone").mail_keys, book_of(books, "main").mail_keys) == (True, False)


def test_a_book_without_name_or_mail_keys_keeps_the_version_it_had_before_them(project: Project) -> None:
    book = book_of(published(project), "game-zone")
    bare = book.model_copy(update={"name": ""})
    older = {k: v for k, v in bare.model_dump().items() if k not in ("name", "mail_keys")}
    assert bare.version == PriceBook.model_validate(older).version
    assert bare.model_copy(update={"mail_keys": True}).version != bare.version


def test_the_buy_form_promises_only_the_order_link_by_default(built: Project) -> None:
    page = built.page("game-zone/p/qq-coin/index.html")
    assert LINK_HINT in page and KEYS_HINT not in page


def test_the_buy_form_promises_the_keys_where_the_station_mails_them(project: Project) -> None:
    project.edit("game-zone/station.yaml", "currency: CNY\n", "currency: CNY\nmail_keys: true\n")
    project.build()
    assert KEYS_HINT in project.page("game-zone/p/qq-coin/index.html")
    assert LINK_HINT in project.page("main/p/qq-coin/index.html")


def test_an_english_station_promises_the_order_link_in_english(built: Project) -> None:
    page = built.page("en-shop/p/qq-coin/index.html")
    assert "Your order link is sent to this address" in page and "Your keys are also sent" not in page

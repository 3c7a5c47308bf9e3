"""A delivered order mails its shopper the order link (and its keys, where the station mails them), once, in the
station's language, signed with the shop's name."""
from __future__ import annotations

import logging

import pytest

from kameng.config import MAIL_TEMPLATES
from kameng.services import notify
from kameng.services.release import release

COMPLETED_PAID = "stripe_checkout_session_completed_paid"


@pytest.fixture
def outbox(deps):
    return deps.mail


def delivery_mails(outbox, to="buyer@example.com"):
    return [m for m in outbox.sent() if m["To"] == to]


def test_a_delivered_order_mails_the_shopper_the_order_link(stations, sku_with_keys, place, pay, outbox):
    placed = place(stations.substation, sku_with_keys(2).sku)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    assert placed.body["order_url"] in mail.get_content().split()


def test_the_link_in_the_mail_opens_the_order(stations, sku_with_keys, place, pay, outbox, get_order):
    placed = place(stations.substation, sku_with_keys(1).sku)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    link = next(word for word in mail.get_content().split() if "#t=" in word)
    response = get_order(placed.order_id, link.split("#t=", 1)[1])
    assert (response.status, response.json["order"]["status"]) == (200, "delivered")


def test_the_mail_names_the_station_and_the_order(stations, sku_with_keys, place, pay, outbox):
    placed = place(stations.substation, sku_with_keys(1).sku)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    assert "game-zone.example" in mail["Subject"] and placed.order_id in mail["Subject"]
    assert "game-zone.example" in mail.get_content()


def set_book(deps, station, **fields):
    book = deps.store.price_books.price_book(station)
    deps.store.price_books.put_price_book(book.model_copy(update=fields))


def test_the_mail_names_the_shop_by_its_name_not_its_domain(stations, sku_with_keys, place, pay, outbox, deps):
    stocked = sku_with_keys(1)
    set_book(deps, stations.substation, name="游戏地带")
    placed = place(stations.substation, stocked.sku)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    assert mail["Subject"].startswith("【游戏地带】") and placed.order_id in mail["Subject"]
    body = mail.get_content()
    assert "您在 游戏地带 购买" in body and body.rstrip().endswith("游戏地带")
    assert "game-zone.example" not in body and placed.body["order_url"] in body.split()


def test_without_mail_keys_the_mail_holds_the_link_but_no_key(stations, sku_with_keys, place, pay, outbox):
    stocked = sku_with_keys(2, passwords=True)
    placed = place(stations.substation, stocked.sku, 2)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    body = mail.get_content()
    assert placed.body["order_url"] in body.split()
    assert not any(code in body or password in body for code, password in zip(stocked.codes, stocked.passwords))


def test_with_mail_keys_the_mail_lists_the_delivered_keys_and_only_those(stations, sku_with_keys, place, pay, outbox,
                                                                         deps, order_view):
    stocked = sku_with_keys(3, passwords=True)
    set_book(deps, stations.substation, mail_keys=True)
    placed = place(stations.substation, stocked.sku, 2)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    body = mail.get_content()
    delivered = {key["code"]: key["password"] for key in order_view(placed)["keys"]}
    assert len(delivered) == 2
    for code, password in delivered.items():
        assert f"{code}  密码：{password}" in body.splitlines()
    (kept,) = set(stocked.codes) - set(delivered)
    assert kept not in body
    assert placed.body["order_url"] in body.split()


def test_with_mail_keys_an_english_mail_lists_the_keys(stations, sku_with_keys, place, pay, outbox, deps, order_view):
    stocked = sku_with_keys(1)
    set_book(deps, stations.substation, mail_keys=True, language="en", name="Game Zone")
    placed = place(stations.substation, stocked.sku)
    pay(placed)
    (mail,) = delivery_mails(outbox)
    ((code, _),) = [(key["code"], key["password"]) for key in order_view(placed)["keys"]]
    assert mail["Subject"].startswith("[Game Zone]") and code in mail.get_content().splitlines()


def test_the_mail_is_in_chinese_by_default(stations, sku_with_keys, place, pay, outbox):
    pay(place(stations.substation, sku_with_keys(1).sku))
    (mail,) = delivery_mails(outbox)
    assert "已发货" in mail["Subject"] and "查看卡密" in mail.get_content()


def test_the_mail_is_in_english_for_an_english_station(stations, sku_with_keys, place, pay, outbox, deps):
    stocked = sku_with_keys(1)
    book = deps.store.price_books.price_book(stations.substation)
    deps.store.price_books.put_price_book(book.model_copy(update={"language": "en"}))
    pay(place(stations.substation, stocked.sku))
    (mail,) = delivery_mails(outbox)
    assert mail["Subject"].endswith("is delivered") and "Your card keys" in mail.get_content()


def test_alipay_with_two_success_events_sends_one_mail(stations, sku_with_keys, place, pay, outbox):
    pay(place(stations.substation, sku_with_keys(1).sku), "alipay")
    assert len(delivery_mails(outbox)) == 1


def test_a_release_run_twice_sends_one_mail(stations, sku_with_keys, place, pay, outbox, deps):
    placed = place(stations.substation, sku_with_keys(1).sku)
    pay(placed)
    release(placed.order_id, deps)
    assert len(delivery_mails(outbox)) == 1


def test_the_same_payment_event_twice_sends_one_mail(stations, sku_with_keys, place, payment_event, deliver_webhook, outbox):
    placed = place(stations.substation, sku_with_keys(1).sku)
    event = payment_event(placed, COMPLETED_PAID)
    deliver_webhook(event)
    deliver_webhook(event)
    assert len(delivery_mails(outbox)) == 1


def test_the_sweepers_delivery_sends_the_mail(stations, sku_with_keys, place, payment_event, deliver_webhook, sweep, clock,
                                             outbox, monkeypatch):
    from kameng.services import payments

    placed = place(stations.substation, sku_with_keys(1).sku)
    with monkeypatch.context() as frozen:
        frozen.setattr(payments, "release", lambda order_id, deps: None)
        deliver_webhook(payment_event(placed, COMPLETED_PAID))
    assert delivery_mails(outbox) == []
    clock.advance(minutes=2)
    sweep()
    assert len(delivery_mails(outbox)) == 1


def test_a_mail_that_fails_is_logged_and_the_order_is_delivered(stations, sku_with_keys, place, payment_event,
                                                               deliver_webhook, order_view, deps, monkeypatch, caplog):
    def broken(to, subject, body):
        raise OSError("outbox full")

    monkeypatch.setattr(deps.mail, "send", broken)
    placed = place(stations.substation, sku_with_keys(1).sku)
    response = deliver_webhook(payment_event(placed, COMPLETED_PAID))
    assert (response.status, order_view(placed)["status"], len(order_view(placed)["keys"])) == (200, "delivered", 1)
    assert any(r.levelno == logging.ERROR and "delivery mail failed" in r.getMessage() for r in caplog.records)


def test_an_order_that_is_not_delivered_sends_no_mail(stations, sku_with_keys, place, payment_event, deliver_webhook, outbox):
    placed = place(stations.substation, sku_with_keys(1).sku)
    deliver_webhook(payment_event(placed, COMPLETED_PAID, amount=1))
    assert delivery_mails(outbox) == []


def test_the_mail_is_plain_text_and_keeps_what_it_is_given():
    subject, body = notify.render("delivered", "en", MAIL_TEMPLATES, station_name="a&b.example", order_id="O1",
                                  title="<b>Steam</b> & more", quantity=1, total="¥1.00",
                                  order_url="https://a.example/order/?id=O1&x=1#t=abc")
    assert "<b>Steam</b> & more" in body and "https://a.example/order/?id=O1&x=1#t=abc" in body and "&amp;" not in body
    assert subject == "[a&b.example] Order O1 is delivered"


def test_an_unknown_language_falls_back_to_chinese():
    subject, _ = notify.render("delivered", "fr", MAIL_TEMPLATES, station_name="s", order_id="O1", title="t", quantity=1,
                               total="1", order_url="u")
    assert "已发货" in subject


def test_a_template_missing_a_value_is_an_error_not_a_blank():
    with pytest.raises(Exception):
        notify.render("delivered", "en", MAIL_TEMPLATES, station_name="s")


def test_without_a_templates_folder_rendering_says_so():
    with pytest.raises(LookupError, match="mail templates"):
        notify.render("delivered", "en", None, station_name="s")

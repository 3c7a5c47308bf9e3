"""Mail through SES (the v2 API) under moto: what the shop sends is what SES records."""
from __future__ import annotations

import dataclasses
import logging

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from kameng import wiring
from kameng.adapters.mail_ses import SesMail
from kameng.adapters.mail_outbox import OutboxMail
from kameng.config import MAIL_TEMPLATES, load
from kameng.handlers import account as account_handler
from kameng.services import notify
from tests.aws.conftest import REGION

SENDER = "shop@shop.example"
BUYER = "buyer@example.com"
ORDER_LINK = "https://shop.example/orders/01JQ00000000000000000000A1#t=s3cr3t-order-token"


@pytest.fixture
def sesv2(aws):
    return boto3.client("sesv2", region_name=REGION)


@pytest.fixture
def verified_domain(sesv2) -> str:
    sesv2.create_email_identity(EmailIdentity="shop.example")
    return "shop.example"


def recorded() -> list:
    # moto keeps what SES sent in its v1 backend, which its v2 SendEmail uses.
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


def delivered_mail() -> tuple[str, str]:
    return notify.render("delivered", "zh-CN", MAIL_TEMPLATES, station_name="shop.example",
                         order_id="01JQ00000000000000000000A1", title="腾讯 Q 币 10 元", quantity=2, total="¥19.80",
                         order_url=ORDER_LINK)


def test_a_mail_from_a_verified_domain_is_sent_to_the_shopper(sesv2, verified_domain):
    SesMail(SENDER, client=sesv2).send(BUYER, "Hello", "Your keys are ready.\n")
    (message,) = recorded()
    assert (message.source, message.destinations) == (SENDER, {"ToAddresses": [BUYER]})
    assert (message.subject, message.body) == ("Hello", "Your keys are ready.\n")


def test_a_chinese_subject_and_body_arrive_as_written(sesv2, verified_domain):
    subject, body = delivered_mail()
    assert "腾讯 Q 币 10 元" in body
    SesMail(SENDER, client=sesv2).send(BUYER, subject, body)
    (message,) = recorded()
    assert (message.subject, message.body) == (subject, body)


def test_subject_and_body_are_sent_as_utf8_simple_content(sesv2, verified_domain, calls):
    calls.watch(sesv2, "SendEmail")
    SesMail(SENDER, client=sesv2).send(BUYER, "您的卡密已发货", "订单链接：\n" + ORDER_LINK + "\n")
    ((_, params),) = calls.log
    simple = params["Content"]["Simple"]
    assert simple["Subject"] == {"Data": "您的卡密已发货", "Charset": "UTF-8"}
    assert simple["Body"] == {"Text": {"Data": "订单链接：\n" + ORDER_LINK + "\n", "Charset": "UTF-8"}}
    assert "ConfigurationSetName" not in params


def test_a_configuration_set_goes_with_every_mail(sesv2, verified_domain, calls):
    calls.watch(sesv2, "SendEmail")
    SesMail(SENDER, configuration_set="kameng-mail", client=sesv2).send(BUYER, "Hello", "Body\n")
    ((_, params),) = calls.log
    assert params["ConfigurationSetName"] == "kameng-mail"


def test_an_unverified_sender_is_refused_and_nothing_is_sent(sesv2, verified_domain):
    with pytest.raises(ClientError) as refused:
        SesMail("shop@elsewhere.example", client=sesv2).send(BUYER, "Hello", "Body\n")
    assert refused.value.response["Error"]["Code"] == "MessageRejected"
    assert recorded() == []


def test_the_body_never_reaches_the_log(sesv2, verified_domain, caplog):
    caplog.set_level(logging.INFO)
    subject, body = delivered_mail()
    SesMail(SENDER, client=sesv2).send(BUYER, subject, body)
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "mail sent through SES" in logged
    assert "s3cr3t-order-token" not in logged


def test_the_configuration_chooses_ses_with_its_sender(aws, verified_domain, tmp_path):
    mail = wiring.mail(load({"KAMENG_DATA_DIR": str(tmp_path), "KAMENG_MAIL": "ses", "KAMENG_MAIL_FROM": SENDER,
                             "KAMENG_SES_CONFIGURATION_SET": "kameng-mail"}))
    assert isinstance(mail, SesMail)
    assert (mail.sender, mail.configuration_set) == (SENDER, "kameng-mail")
    mail.send(BUYER, "Hello", "Body\n")
    assert len(recorded()) == 1


def test_the_default_is_still_the_outbox(tmp_path):
    assert isinstance(wiring.mail(load({"KAMENG_DATA_DIR": str(tmp_path)})), OutboxMail)


# ---------------------------------------------------------------- a sign-in through SES


@pytest.fixture
def sign_in(deps, stations, api_event):
    def post(mail: SesMail):
        wiring.use(dataclasses.replace(deps, mail=mail))
        event = api_event("POST", "/api/account/sign-in", body={"station": stations.substation, "email": BUYER})
        return account_handler.sign_in(event, None)

    return post


def test_a_sign_in_link_is_mailed_through_ses(sesv2, verified_domain, sign_in):
    response = sign_in(SesMail(SENDER, client=sesv2))
    assert response["statusCode"] == 202
    (message,) = recorded()
    assert message.destinations == {"ToAddresses": [BUYER]} and "/account/#signin=" in message.body


def test_a_sign_in_mail_ses_refuses_is_a_logged_server_error_without_the_link(sesv2, verified_domain, sign_in,
                                                                              caplog):
    caplog.set_level(logging.INFO)
    response = sign_in(SesMail("shop@elsewhere.example", client=sesv2))
    # The shopper is told to try again, not that a link is on its way.
    assert response["statusCode"] == 500 and '"sent"' not in response["body"]
    assert "MessageRejected" in caplog.text
    assert "#signin=" not in caplog.text + " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert recorded() == []

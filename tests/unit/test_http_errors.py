"""Every domain error answers with its status: an adapter's own subclass as its parent does."""
from kameng.adapters.dynamodb import StoreBusy
from kameng.domain import errors
from kameng.http import error_response


def test_a_store_that_stays_busy_answers_503_with_retry_after():
    response = error_response(StoreBusy("keys remain but every attempt lost a race"))
    assert (response["statusCode"], response["headers"]["retry-after"]) == (503, "1")


def test_a_coupon_used_up_is_a_conflict_and_a_refused_coupon_says_why():
    assert error_response(errors.CouponUsedUp("gone"))["statusCode"] == 409
    refused = error_response(errors.CouponNotApplicable("coupon_scope", "not for this product"))
    assert (refused["statusCode"], '"reason":"coupon_scope"' in refused["body"]) == (422, True)


def test_an_error_the_table_does_not_know_is_a_plain_400():
    assert error_response(errors.DomainError("something the client sent"))["statusCode"] == 400

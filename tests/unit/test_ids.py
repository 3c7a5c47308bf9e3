"""Ids sort by the time they were made (ULID layout), so listings need no second index."""
from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from kameng.domain.ids import new_id, new_token

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


@given(moments)
def test_an_id_is_26_crockford_characters(moment):
    made = new_id(moment)
    assert len(made) == 26 and set(made) <= CROCKFORD


@given(moments, st.integers(min_value=1, max_value=10**10))
def test_an_id_made_later_sorts_after_an_earlier_one(moment, later_ms):
    assert new_id(moment) < new_id(moment + timedelta(milliseconds=later_ms))


def test_ids_made_in_the_same_millisecond_differ():
    moment = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    assert len({new_id(moment) for _ in range(1000)}) == 1000


def test_order_tokens_are_unguessable_and_url_safe():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 43 and t.replace("-", "").replace("_", "").isalnum() for t in tokens)

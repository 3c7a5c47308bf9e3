"""Any sequence of key refunds gives back at most the total, and exactly the total once every key is refunded."""
from hypothesis import given, strategies as st

from kameng.domain.key_refund import share


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=50), st.data())
def test_key_shares_never_pass_the_total_and_end_at_it(total, count, data):
    order = data.draw(st.permutations(range(count)))
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=count - 1), max_size=count)) if count > 1 else [])
    refunded = 0
    for start, end in zip([0] + cuts, cuts + [count]):
        refunded += share(total, order[start:end], count)
        assert 0 <= refunded <= total
    assert refunded == total


@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(min_value=1, max_value=50))
def test_shares_of_a_negative_ledger_line_add_up_to_it(amount, count):
    assert sum(share(amount, [i], count) for i in range(count)) == amount

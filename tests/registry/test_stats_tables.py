"""The public view of statistics tables: small counts hidden, others rounded, shares honest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.stats.tables import Column, Suppression, Table, share


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, None), (0, 0), (1, "<5"), (4, "<5"), (5, 5), (7, 5), (8, 10), (12, 10), (13, 15)],
)
def test_people_counts_are_hidden_below_five_and_rounded_to_five(value, shown):
    assert Suppression().people(value) == shown


def test_a_threshold_above_the_rounding_base_never_shows_less_than_it():
    rule = Suppression(below=7, round_to=5)
    assert rule.people(6) == "<7"
    assert rule.people(7) == 10  # rounds to 5, which is below the threshold: raised to 10
    assert rule.people(11) == 10
    assert Suppression(below=10, round_to=1).people(9) == "<10"
    assert Suppression(below=10, round_to=1).people(10) == 10


@given(
    value=st.integers(min_value=0, max_value=10**7),
    below=st.integers(min_value=1, max_value=50),
    base=st.integers(min_value=1, max_value=20),
)
def test_no_public_count_is_ever_between_zero_and_the_threshold(value, below, base):
    shown = Suppression(below, base).people(value)
    if isinstance(shown, str):
        assert shown == f"<{below}" and 0 < value < below
    else:
        assert shown == 0 or shown >= below
        assert shown % base == 0 or base == 1
        assert abs(shown - value) <= max(base, below)


def test_published_figures_are_kept_except_small_ones():
    rule = Suppression()
    assert [rule.published(v) for v in (0, 3, 5, 192_744)] == [0, "<5", 5, 192_744]


def test_public_view_recomputes_shares_from_the_values_shown():
    table = Table.build(
        "t",
        (
            Column("residents", "people"),
            Column("unvaccinated", "people"),
            Column("share", "share", share_of=("unvaccinated", "residents")),
            Column("sites", "count"),
        ),
        [
            {"residents": 7, "unvaccinated": 3, "sites": 2},
            {"residents": 22, "unvaccinated": 13, "sites": 1},
        ],
    )
    assert table.rows[0]["share"] == pytest.approx(3 / 7)  # exact view: exact share
    public = table.public(Suppression())
    assert public.view == "public"
    # 3 of 7 would tell the reader both counts: the share goes with the hidden count.
    assert public.rows[0] == {"residents": 5, "unvaccinated": "<5", "share": None, "sites": 2}
    assert public.rows[1] == {"residents": 20, "unvaccinated": 15, "share": 0.75, "sites": 1}
    assert table.rows[0]["unvaccinated"] == 3  # the exact table is untouched


def test_settings_must_be_whole_numbers_of_at_least_one():
    assert Suppression.from_config({}) == Suppression(5, 5)
    assert Suppression.from_config({"STATS_SUPPRESS_BELOW": 10}).below == 10
    with pytest.raises(ValueError, match="STATS_ROUND_TO"):
        Suppression.from_config({"STATS_ROUND_TO": 0})
    with pytest.raises(ValueError, match="STATS_SUPPRESS_BELOW"):
        Suppression.from_config({"STATS_SUPPRESS_BELOW": "5"})


def test_share_needs_two_numbers_and_a_positive_denominator():
    assert share(1, 4) == 0.25
    assert share("<5", 10) is None and share(3, 0) is None and share(None, 3) is None


def test_a_row_with_an_unknown_column_is_refused():
    with pytest.raises(ValueError, match="unknown columns"):
        Table.build("t", (Column("a", "count"),), [{"a": 1, "b": 2}])

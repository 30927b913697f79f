"""The replay's engagement at an instant is the score's engagement, float for float.

The lifecycle replay scores a lead at many instants with ``CompiledScoring.engagement_at``
(POSIX floats, no breakdown); the verdict's score uses ``engagement`` (with its lines). Stage
criteria compare the first, the verdict shows the second: they must be the same floats, or a
lead could be promoted on a score its verdict does not show.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine_support import T0, compiled
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcontract.inputs import Event
from leadcontract.rules.scoring import EventIndex

ENGINE = compiled(Path(__file__).parents[1] / "contracts" / "example")
SCORED = ["demo_requested", "webinar_attended", "pricing_page_visit", "content_download"]
EVENTS = st.lists(
    st.tuples(
        st.sampled_from([*SCORED, "email_click", "touch"]),
        st.sampled_from(["email", "web", None]),
        st.integers(0, 400 * 86_400_000_000),
    ),
    max_size=25,
)
INSTANTS = st.lists(st.integers(-86_400_000_000, 500 * 86_400_000_000), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(EVENTS, INSTANTS)
def test_engagement_at_is_the_scores_engagement(
    events: list[tuple[str, str | None, int]], instants: list[int]
) -> None:
    ordered = sorted(
        (
            Event("L1", kind, T0 + timedelta(microseconds=us), seq, channel=channel)
            for seq, (kind, channel, us) in enumerate(events)
        ),
        key=lambda e: (e.at, e.seq),
    )
    scoring = ENGINE.scoring
    times = scoring.times(EventIndex(ordered))
    for us in instants:
        at = T0 + timedelta(microseconds=us)
        expected, _ = scoring.engagement(times, at)
        found = scoring.engagement_at(times, at.timestamp())
        assert repr(found) == repr(expected)  # the same float, sign of zero included


def test_the_example_contract_scores_decayed_and_capped_points() -> None:
    day = timedelta(days=1)
    ordered = [
        Event("L1", "demo_requested", T0, 0),
        Event("L1", "webinar_attended", T0 + day, 1),
        Event("L1", "webinar_attended", T0 + 2 * day, 2),
    ]
    times = ENGINE.scoring.times(EventIndex(ordered))
    assert ENGINE.scoring.engagement_at(times, (T0 + 2 * day).timestamp()) == 50.0  # capped
    later = ENGINE.scoring.engagement_at(times, (T0 + 90 * day).timestamp())
    assert 0 < later < 50.0
    assert later == ENGINE.scoring.engagement(times, T0 + 90 * day)[0]

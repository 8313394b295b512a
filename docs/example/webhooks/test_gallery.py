"""A property over delivery schedules: every succeeded task is saved exactly once, whatever
the webhooks do. The idempotent gallery passes; the naive one's bug is found and shrunk.

Run it with ``pytest docs/example/webhooks``; the ``rivya`` plugin is loaded automatically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from gallery import Gallery, gallery_app
from hypothesis import Phase, given, settings

from rivya_contract.plugin.strategies import (
    DeliverySchedule,
    EventPlan,
    delivery_schedules,
    play,
)


def saves_each_success_once(idempotent: bool, tried: list[DeliverySchedule]) -> Any:
    """Return a Hypothesis test of the gallery over delivery schedules; ``tried`` logs each."""

    @settings(
        max_examples=150,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    @given(schedule=delivery_schedules())
    def check(schedule: DeliverySchedule) -> None:
        tried.append(schedule)
        gallery = Gallery(idempotent=idempotent)

        def receiver(secret: str, clock: Callable[[], float]) -> Any:
            return gallery_app(secret, clock, gallery)

        played = play(schedule, receiver)
        saved = Counter(task_id for task_id, _ in gallery.saved)
        for task_id in played.succeeded():
            assert saved[task_id] == 1, f"task saved {saved[task_id]} times"
        assert set(saved) == set(played.succeeded())

    return check


def test_the_idempotent_gallery_saves_each_success_once() -> None:
    tried: list[DeliverySchedule] = []
    saves_each_success_once(True, tried)()
    assert any(any(e.duplicates or e.lost_answers for e in s.events) for s in tried)
    assert any(s.reorder for s in tried) and any(s.rotate_secret for s in tried)


def test_the_naive_gallerys_bug_is_found_and_shrunk() -> None:
    tried: list[DeliverySchedule] = []
    with pytest.raises(AssertionError, match="task saved 2 times"):
        saves_each_success_once(False, tried)()
    shrunk = tried[-1]  # Hypothesis replays the minimal failing example last
    # The smallest schedule that breaks it: one task, succeeded at once, whose event comes
    # twice (one duplicate, or one retry after a lost answer); nothing else.
    assert len(shrunk.events) == 1
    (plan,) = shrunk.events
    assert (plan.outcome, plan.after, plan.stale, plan.delay) == ("succeeded", 0, False, 0)
    assert (plan.duplicates, plan.lost_answers) in ((1, 0), (0, 1))
    assert not shrunk.reorder and not shrunk.rotate_secret


def test_a_single_clean_delivery_is_saved_once() -> None:
    gallery = Gallery(idempotent=False)
    schedule = DeliverySchedule(events=(EventPlan(),))
    played = play(schedule, lambda secret, clock: gallery_app(secret, clock, gallery))
    assert [task_id for task_id, _ in gallery.saved] == played.succeeded()
    assert len(played.attempts) == 1 and played.attempts[0]["status_code"] == 204

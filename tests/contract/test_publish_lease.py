"""The station publish lease (services/rollout.py) on every store: one holder at a time, the next one in as
soon as it is let go, and a holder that died lets the next one in once its lease is over."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from kameng.ports.outside import PublishError
from kameng.services.rollout import PUBLISH_LEASE, publish_lease


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


def test_a_second_publisher_waits_for_the_first_then_holds_the_station(store):
    world = SimpleNamespace(store=store, clock=Clock())
    first, second = publish_lease(lambda: world, "sync"), publish_lease(lambda: world, "console", wait_seconds=20)
    events: list[str] = []
    holding = threading.Event()
    let_go = threading.Event()

    def sync():
        with first(["game-zone"]):
            events.append("sync holds")
            holding.set()
            assert let_go.wait(20)
            events.append("sync lets go")

    def console():
        with second(["av-club", "game-zone"]):
            events.append("console holds")

    one = threading.Thread(target=sync)
    one.start()
    assert holding.wait(20)
    two = threading.Thread(target=console)
    two.start()
    two.join(0.5)
    assert two.is_alive() and events == ["sync holds"]
    let_go.set()
    one.join(20)
    two.join(20)
    assert events == ["sync holds", "sync lets go", "console holds"]


def test_a_lease_whose_holder_died_is_taken_over_once_it_ends(store):
    clock = Clock()
    world = SimpleNamespace(store=store, clock=clock)
    dead = publish_lease(lambda: world, "dead")(["main"])
    dead.__enter__()  # never left: its process died
    with pytest.raises(PublishError, match="under way"):
        with publish_lease(lambda: world, "next", wait_seconds=0)(["main"]):
            pass
    clock.now += PUBLISH_LEASE + timedelta(seconds=1)
    with publish_lease(lambda: world, "next", wait_seconds=0)(["main"]):
        pass


def test_two_functions_writing_content_take_turns_under_the_content_lease(store):
    """The console's publish and the supplier sync each read, write, build and publish content/ under the
    content files' lock: on S3 a lease in the store, so the second to come waits for the first to publish."""
    from kameng.adapters.content_s3 import S3ContentFiles
    from kameng.services.rollout import CONTENT_LEASE

    world = SimpleNamespace(store=store, clock=Clock())
    lease = publish_lease(lambda: world, "function", wait_seconds=20)
    console, sync = (S3ContentFiles(None, "content-bucket", lock=lambda: lease([CONTENT_LEASE])) for _ in range(2))
    events: list[str] = []
    holding, let_go = threading.Event(), threading.Event()

    def publish():
        with console.lock():
            events.append("console reads")
            holding.set()
            assert let_go.wait(20)
            events.append("console published")

    def synchronise():
        with sync.lock():
            events.append("sync reads")

    one = threading.Thread(target=publish)
    one.start()
    assert holding.wait(20)
    two = threading.Thread(target=synchronise)
    two.start()
    two.join(0.5)
    assert two.is_alive() and events == ["console reads"]
    let_go.set()
    one.join(20)
    two.join(20)
    assert events == ["console reads", "console published", "sync reads"]

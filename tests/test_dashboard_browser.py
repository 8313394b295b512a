"""The dashboard in a real headless browser: Debian's chromium driven by Playwright.

The browser is the system's (``make system-deps`` installs the ``chromium``
package); Playwright never downloads one. Each test saves a screenshot under
``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from support import bearer, text_request

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.serving import ServerThread

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if shutil.which("chromium") is None:
        pytest.fail("chromium is missing: run `make system-deps` (Debian package chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


class Console:
    """Every console error and uncaught exception of a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("console", self._message)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def _server(config: MockConfig) -> ServerThread:
    return ServerThread(Mock(config))


def test_a_task_moves_on_and_a_fault_fires_from_the_page(browser: Browser) -> None:
    config = MockConfig(virtual_clock=True, queued_seconds=5, processing_seconds=20)
    with _server(config) as server, httpx.Client(base_url=server.base_url) as client:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        console = Console(page)
        page.goto(server.base_url + "/__mock__/")
        expect(page.locator("#requests")).to_contain_text("no requests yet", timeout=WAIT_MS)

        key = config.api_key
        created = client.post("/api/v1/generations", headers=bearer(key), json=text_request())
        assert created.status_code == 202
        task_id = created.json()["id"]
        row = page.locator(f'#tasks tr[data-task-id="{task_id}"]')
        expect(row).to_have_attribute("data-status", "queued", timeout=WAIT_MS)
        expect(row.locator(".badge")).to_have_text("queued")
        expect(page.locator("#requests")).to_contain_text("/api/v1/generations")

        page.get_by_role("button", name="advance 60 s").click()
        expect(row).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
        polled = client.get(f"/api/v1/generations/{task_id}", headers=bearer(key))
        assert polled.json()["status"] == "succeeded"

        page.select_option("#fault-code", "rate_limited")
        page.get_by_role("button", name="add fault").click()
        expect(page.locator("#faults")).to_contain_text("rate_limited", timeout=WAIT_MS)
        assert [fault.to_json()["code"] for fault in server.mock.control.faults] == ["rate_limited"]

        limited = client.get("/api/v1/credits", headers=bearer(key))
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        expect(page.locator("#requests")).to_contain_text("rate_limited", timeout=WAIT_MS)
        expect(page.locator("#faults")).to_contain_text("none in force", timeout=WAIT_MS)

        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000

        page.locator(f'#requests tr[data-request-id="{limited.headers["X-Request-Id"]}"]').click()
        expect(page.locator("#detail-response")).to_contain_text('"code": "rate_limited"')
        expect(page.locator("#detail-request")).to_contain_text("authorization: Bearer [redacted]")
        assert key not in page.locator("#detail").inner_text()
        page.get_by_role("button", name="close").click()
        expect(page.locator("#detail")).to_be_hidden()
        page.fill("#filter-code", "rate_limited")
        expect(page.locator("#requests tr")).to_have_count(1)
        page.close()
        assert console.errors == []


def test_the_page_asks_for_the_admin_token_and_then_shows_the_state(browser: Browser) -> None:
    config = MockConfig(virtual_clock=True, admin_token="s3cret-admin")
    with _server(config) as server:
        page = browser.new_page()
        console = Console(page)
        page.goto(server.base_url + "/__mock__/")
        expect(page.locator("#login")).to_be_visible(timeout=WAIT_MS)
        expect(page.locator("#accounts")).not_to_contain_text("acct_demo")
        routes = {route for route, *_ in server.mock.metrics.snapshot()[0]}
        assert routes == {"/__mock__/", "/__mock__/assets/{name}"}  # the page, no data call
        assert console.errors == []  # asked for the token before sending anything
        page.fill("#token", "s3cret-admin")
        page.get_by_role("button", name="open").click()
        expect(page.locator("#accounts")).to_contain_text("acct_demo", timeout=WAIT_MS)
        expect(page.locator("#login")).to_be_hidden()

        fragment = browser.new_page()
        fragment.goto(server.base_url + "/__mock__/#token=s3cret-admin")
        expect(fragment.locator("#accounts")).to_contain_text("acct_demo", timeout=WAIT_MS)
        assert "token" not in fragment.url
        page.close()
        fragment.close()


def test_keys_credits_scripts_and_reset_from_the_page(browser: Browser) -> None:
    config = MockConfig(virtual_clock=True)
    with _server(config) as server, httpx.Client(base_url=server.base_url) as client:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        console = Console(page)
        page.goto(server.base_url + "/__mock__/")
        demo = page.locator('#accounts tr[data-account-id="acct_demo"]')
        expect(demo).to_contain_text("1000", timeout=WAIT_MS)
        page.fill("#grant-credits", "250")
        page.get_by_role("button", name="grant", exact=True).click()
        expect(demo.locator("td").nth(1)).to_have_text("1250", timeout=WAIT_MS)
        expect(page.locator("#grant-credits")).to_have_value("250")  # polling keeps input

        page.select_option("#script-outcome", "failed")
        page.fill("#script-code", "content_rejected")
        page.get_by_role("button", name="script", exact=True).click()
        expect(page.locator("#scripts")).to_contain_text("failed content_rejected", timeout=WAIT_MS)
        key = config.api_key
        task = client.post("/api/v1/generations", headers=bearer(key), json=text_request())
        polled = client.get(f"/api/v1/generations/{task.json()['id']}", headers=bearer(key))
        assert polled.json()["error"]["code"] == "content_rejected"

        key_row = page.locator(f'#keys tr[data-key="{key}"]')
        key_row.get_by_role("button", name="revoke").click()
        expect(key_row).to_contain_text("revoked", timeout=WAIT_MS)
        revoked = client.get("/api/v1/credits", headers=bearer(key))
        assert revoked.json()["error"]["code"] == "api_key_revoked"

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="reset").click()
        expect(key_row).to_contain_text("live", timeout=WAIT_MS)
        expect(page.locator("#tasks")).to_contain_text("no tasks yet")
        page.close()
        assert console.errors == []

"""The dashboard in a real headless browser: Debian's chromium driven by Playwright.

The browser is the system's (``make system-deps`` installs the ``chromium``
package); Playwright never downloads one. Each test saves a screenshot under
``test-artifacts/``.
"""

from __future__ import annotations

import re
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
from rivya_contract.plugin.webhook_receiver import WebhookReceiver

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


def test_a_webhook_delivery_to_a_real_receiver_shows_in_its_panel(
    browser: Browser, rivya_webhooks: WebhookReceiver
) -> None:
    config = MockConfig(virtual_clock=True, queued_seconds=5, processing_seconds=20)
    with _server(config) as server, httpx.Client(base_url=server.base_url) as client:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        console = Console(page)
        page.goto(server.base_url + "/__mock__/")
        panel = page.locator("#webhook-deliveries")
        expect(panel).to_contain_text("no deliveries yet", timeout=WAIT_MS)

        key = config.api_key
        registered = client.post(
            "/api/v1/webhooks", headers=bearer(key), json={"url": rivya_webhooks.url}
        )
        assert registered.status_code == 201, registered.text
        endpoint = registered.json()
        rivya_webhooks.trust(endpoint["signing_secret"])
        rivya_webhooks.clock = server.mock.clock.now
        rivya_webhooks.answer(503)  # the first attempt fails, the retry 5 s later succeeds
        created = client.post("/api/v1/generations", headers=bearer(key), json=text_request())
        assert created.status_code == 202
        task_id = created.json()["id"]
        expect(page.locator(f'#tasks tr[data-task-id="{task_id}"]')).to_be_visible(timeout=WAIT_MS)

        page.get_by_role("button", name="advance 60 s").click()
        rows = panel.locator("tr[data-delivery-id]")
        expect(rows).to_have_count(2, timeout=WAIT_MS)
        retried, failed = rows.nth(0), rows.nth(1)
        expect(retried).to_have_attribute("data-status", "200")
        expect(failed).to_have_attribute("data-status", "503")
        for shown in (retried, failed):
            expect(shown).to_have_attribute("data-endpoint-id", endpoint["id"])
            expect(shown.locator("td").nth(1)).to_have_text(rivya_webhooks.url)
            expect(shown.locator("td").nth(2)).to_have_text("generation.succeeded")
        expect(retried.locator("td").nth(3)).to_have_text("2")
        expect(retried.locator("td").nth(4)).to_have_text("200")
        expect(retried.locator("td").nth(5)).to_have_text("")
        expect(failed.locator("td").nth(3)).to_have_text("1")
        expect(failed.locator("td").nth(4)).to_have_text("503")
        expect(failed.locator("td").nth(5)).not_to_have_text("")

        first, second = rivya_webhooks.wait_for(2)
        assert (first.status, second.status) == (503, 200)
        assert second.verified and second.event["data"]["id"] == task_id
        listed = client.get("/__mock__/webhook-deliveries").json()["data"]
        assert [a["status_code"] for a in listed] == [200, 503]
        assert listed[1]["next_attempt_at"] == listed[0]["attempted_at"]
        retry_text = re.sub(r"\.\d+Z$", "Z", listed[1]["next_attempt_at"].replace("T", " "))
        expect(failed.locator("td").nth(5)).to_have_text(retry_text)

        retried.evaluate("row => { row.dataset.kept = 'yes'; }")
        body = page.locator("body")
        for _ in range(2):  # two more polls, each answering the same deliveries
            seen = body.get_attribute("data-refreshed") or "0"
            expect(body).not_to_have_attribute("data-refreshed", seen, timeout=WAIT_MS)
        expect(retried).to_have_attribute("data-kept", "yes")  # unchanged data, same rows

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-webhooks.png"), full_page=True)
        page.close()
        assert console.errors == []

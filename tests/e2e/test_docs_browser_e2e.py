"""/_docs in headless Chromium with the network closed: Swagger UI's own files come from the
local stack, every operation is listed, "Authorize" takes an id token and a call made with it
passes the authorizer; a Korean error body over HTTP.

Chromium and chromedriver are Debian's (`apt-get install chromium chromium-driver`; .ci/run
installs them). Their absence fails the test: the page is part of what `make test` proves."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from partnercenter.messages import KOREAN
from tests.e2e import lifecycle
from tests.e2e.conftest import LocalStack

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PAGE_TIMEOUT_SECONDS = 90
# Everything but loopback goes to a proxy nobody listens on (port 9, discard) and resolves
# to nothing: the page can reach the local stack only.
NETWORK_CLOSED = [
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,3000",
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail(
            "headless Chromium is required for the /_docs test: "
            "apt-get install -y chromium chromium-driver (.ci/run does this)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, *NETWORK_CLOSED, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    try:
        yield session
    finally:
        session.quit()


def _operations() -> int:
    document = json.loads(DOCS.read_text("utf-8"))
    return sum(len(operations) for operations in document["paths"].values())


def test_docs_render_offline_and_authorize_takes_an_id_token(
    browser: object, local_stack: LocalStack, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    assert isinstance(browser, WebDriver)
    wait = WebDriverWait(browser, PAGE_TIMEOUT_SECONDS)
    # The network is closed: a CDN cannot be reached from this browser.
    browser.get(f"{local_stack.api_url}/_docs")
    outside = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css', {mode: 'no-cors'})"
        ".then(() => done('reached'), () => done('blocked'));"
    )
    assert outside == "blocked"

    expected = _operations()
    wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) == expected)
    listed = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    assert len(listed) == expected
    assert "/members/me" in {e.get_attribute("data-path") for e in listed}
    shot = tmp_path / "docs.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one

    # Authorize with an operator's id token, then call an operator route from the page.
    token = lifecycle.operator_token(local_stack)
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    # One box per authorizer: operator routes take the operators' pool's tokens only.
    (operators,) = wait.until(
        lambda b: [
            c
            for c in b.find_elements(By.CSS_SELECTOR, ".auth-container")
            if "OperatorsAuthorizer" in c.text
        ]
    )
    operators.find_element(By.CSS_SELECTOR, "input").send_keys(token)
    operators.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".auth-btn-wrapper button.btn-done").click()
    operation = browser.find_element(By.ID, "operations-operator-get_members_admin_members_get")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, ".try-out__btn")).click()
    wait.until(lambda _: operation.find_element(By.CSS_SELECTOR, "button.execute")).click()
    status = wait.until(
        lambda _: operation.find_element(
            By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
        )
    )
    curl = operation.find_element(By.CSS_SELECTOR, ".curl-command").text
    assert f"Authorization: {token}" in curl  # the id token itself, as the authorizer takes it
    assert status.text.strip().startswith("200"), status.text


def test_korean_error_body_over_http(local_stack: LocalStack) -> None:
    unknown = str(uuid.uuid4())
    status, raw = lifecycle.raw_http(
        "POST",
        f"{local_stack.api_url}/members",
        json.dumps({"verificationId": unknown, "loginId": "x"}),
        {"Content-Type": "application/json", "Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"},
    )
    body = json.loads(raw)
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")
    assert body["message"] == KOREAN["VALIDATION_FAILED"]
    assert "password" in body["fields"]
    assert unknown not in raw  # R-SEC-3: field names, never values

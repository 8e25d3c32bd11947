"""The inspector page, in a real browser: headless Chromium (Debian's package) driven by selenium.

Turns run through the engine against an emulator serving ``/_emulator/ui``; the page must show
each conversation and thread, each response/run with its timeline (status changes, streamed
text, tool calls with arguments and outputs, usage), the request log with spec verdicts, and
pick up a turn that runs while it is open. ``OPENAIASSISTANT_SCREENSHOT=PATH`` saves the page
(docs/images/inspector.png is made that way).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openaiassistant.assistant import Assistant
from openaiassistant.settings import AssistantSpec, ConnectionSettings
from openaiassistant.tools import Toolbox

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
# the flags that keep Chromium quiet on a closed network (no sync, updates, QUIC, first-run UI)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)
SCRIPT = {
    "rules": [
        {
            "name": "disk",
            "match": "(?i)disk on (?P<host>[\\w-]+)",
            "tool_calls": [{"name": "disk_usage", "arguments": {"host": "{{ match.host }}"}}],
            "then": {"reply": "Disk of {{ match.host }}: {{ tool_outputs.disk_usage }}"},
        },
        {"default": True, "reply": "Acknowledged: {{ input }}"},
    ]
}

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMEDRIVER).is_file() and Path(CHROMIUM).exists()):
        if os.environ.get("OPENAIASSISTANT_REQUIRE_BROWSER"):
            pytest.fail("chromium and chromium-driver are not installed (apt-get install -y chromium chromium-driver)")
        pytest.skip("chromium / chromium-driver not installed")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="inspector-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def inspected() -> Iterator[Any]:
    from openaiassistant.emulator.server import EmulatorServer

    with EmulatorServer(script=SCRIPT, inspect=True) as server:
        yield server


def _assistant(server: Any, backend: str) -> Assistant:
    tools = Toolbox()

    @tools.tool
    def disk_usage(host: str) -> dict:
        """Disk usage of a host.

        Args:
            host: the host name
        """
        return {"host": host, "used_percent": 97}

    spec: dict[str, Any] = {"backend": backend}
    if backend == "assistants":
        import openai

        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key)
        spec["assistant_id"] = client.beta.assistants.create(model="gpt-4o-mini").id
    else:
        spec["model"] = "gpt-4o-mini"
    return Assistant(
        connection=ConnectionSettings(api_key=server.api_key, base_url=server.base_url),
        spec=AssistantSpec(**spec),
        tools=tools,
    )


def _wait_for_text(driver: Any, text: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: text in d.find_element(By.ID, "view").text)


def test_the_inspector_shows_what_the_model_was_sent_and_answered(browser: Any, inspected: Any) -> None:
    from selenium.webdriver.common.by import By

    responses = _assistant(inspected, "responses").run_turn("Check the disk on db-1", metadata={"incident": "42"})
    assistants = _assistant(inspected, "assistants").run_turn("Check the disk on web-3", stream=False)

    browser.get(f"{inspected.url}/_emulator/ui")
    _wait_for_text(browser, responses.thread_id)
    view = browser.find_element(By.ID, "view")
    text = view.text

    # the conversation, with its metadata, and its two responses (tool call, then the answer)
    conversation = browser.find_element(By.ID, responses.thread_id)
    assert "incident=42" in conversation.text
    assert responses.response_id in conversation.text
    assert "Check the disk on db-1" in conversation.text  # what the model was sent
    calls = conversation.find_elements(By.CSS_SELECTOR, "table.calls tr")
    assert any("disk_usage" in row.text and '"db-1"' in row.text and "97" in row.text for row in calls)
    timeline = conversation.find_element(By.CSS_SELECTOR, "ol.timeline").text
    assert "in_progress" in timeline and "completed" in timeline
    assert "Disk of db-1" in conversation.text  # the answer, streamed as deltas
    assert "deltas" in conversation.text and "tokens" in conversation.text  # merged deltas, usage

    # the thread and its run: status changes including requires_action, the tool call and its output
    thread = browser.find_element(By.ID, assistants.thread_id)
    assert assistants.run_id in thread.text
    assert "requires_action: disk_usage" in thread.text
    assert any(
        "disk_usage" in row.text and "web-3" in row.text
        for row in thread.find_elements(By.CSS_SELECTOR, "table.calls tr")
    )
    assert "Disk of web-3" in thread.text

    # the request log, each request with its spec verdict
    log = browser.find_element(By.ID, "requests")
    rows = log.find_elements(By.CSS_SELECTOR, "table.log tr")[1:]
    assert len(rows) == len(inspected.requests())
    assert all("conforms" in row.text for row in rows)
    assert "POST" in log.text and "/v1/responses" in log.text and "/v1/threads/" in log.text and "/runs" in log.text
    assert "every response conforms to the spec" in text

    target = os.environ.get("OPENAIASSISTANT_SCREENSHOT")
    shot = Path(target) if target else Path(tempfile.mkdtemp()) / "inspector.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_follows_a_turn_while_it_is_open(browser: Any, inspected: Any) -> None:
    browser.get(f"{inspected.url}/_emulator/ui")
    _wait_for_text(browser, "No request yet.")
    result = _assistant(inspected, "responses").run_turn("Hello from a live turn")
    _wait_for_text(browser, result.response_id)  # the page re-read the emulator by itself
    _wait_for_text(browser, "Acknowledged: Hello from a live turn")


def test_a_spec_problem_is_shown_on_its_request(browser: Any, inspected: Any) -> None:
    """A request that breaks the request schema (sent on purpose) is marked in the log."""
    import openai

    client = openai.OpenAI(base_url=inspected.base_url, api_key=inspected.api_key, max_retries=0)
    with pytest.raises(openai.BadRequestError):
        client.post("/responses", cast_to=object, body={"model": "gpt-4o-mini", "input": "hi", "temperature": "hot"})
    browser.get(f"{inspected.url}/_emulator/ui")
    _wait_for_text(browser, "✗")
    from selenium.webdriver.common.by import By

    row = browser.find_elements(By.CSS_SELECTOR, "#requests table.log tr")[1]
    assert "400" in row.text and "temperature" in row.text


def test_without_inspect_there_is_no_page(emulator: Any) -> None:
    import httpx

    assert httpx.get(f"{emulator.url}/_emulator/ui").status_code == 404

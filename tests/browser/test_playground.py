"""The web playground in a real browser: Debian's headless Chromium driven by Playwright (no browser
download), against the live test service. A phone-sized window (375 px): paste the key, choose a file,
drag a span on the waveform, see the API's error next to the field it names, submit, watch the job
complete, and check that the target and residual players hold real audio. The screenshot is saved as
a test artifact (``AUDIOLASSO_TEST_ARTIFACTS``, default ``test-artifacts/``)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import soundfile as sf

from support.audio import speech_plus_noise

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("AUDIOLASSO_TEST_ARTIFACTS", ROOT / "test-artifacts"))

if CHROMIUM is None and os.environ.get("CI"):
    # CI installs it (.ci/run): its absence there is a failure, not a reason to skip.
    raise RuntimeError("CI needs Debian's chromium for the browser tests; .ci/run installs it")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs a system Chromium (Debian: apt-get install chromium); .ci/run installs it"
)

SECONDS = 8.0


@pytest.fixture(scope="module")
def service(live_service, dsp_backend):
    return live_service({"dsp": dsp_backend})


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    mixture, _, sr = speech_plus_noise(snr_db=0.0, seed=5)
    path = tmp_path_factory.mktemp("browser") / "session.wav"
    sf.write(path, np.resize(mixture, int(SECONDS * sr)), sr, subtype="PCM_16")
    return path


@pytest.fixture()
def page(service):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]
        )
        context = browser.new_context(viewport={"width": 375, "height": 900}, device_scale_factor=2)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.foreign = []  # every request the page makes outside the service
        page.script_errors = []  # uncaught exceptions in the page's script
        page.server_errors = []  # any 5xx answer
        origin = urlsplit(service.url).netloc
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("blob:", "data:")) or urlsplit(r.url).netloc == origin
                else page.foreign.append(r.url)
            ),
        )
        page.on("pageerror", lambda e: page.script_errors.append(str(e)))
        page.on("response", lambda r: page.server_errors.append(r.url) if r.status >= 500 else None)
        yield page
        browser.close()


def until(page, expression: str, timeout_s: float = 20.0):
    """Poll a JavaScript expression until it is truthy (page.wait_for_function would need eval,
    which the page's Content-Security-Policy forbids)."""
    deadline = time.monotonic() + timeout_s
    while not (value := page.evaluate(expression)):
        assert time.monotonic() < deadline, f"never true: {expression}"
        time.sleep(0.1)
    return value


def drag(page, selector: str, x0: float, x1: float) -> None:
    """Press at fraction x0 of the element's width, move to x1, release."""
    box = page.locator(selector).bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + x0 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + (x0 + x1) / 2 * box["width"], y, steps=4)
    page.mouse.move(box["x"] + x1 * box["width"], y, steps=4)
    page.mouse.up()


def test_a_phone_sized_browser_separates_a_file_with_a_span(service, page, recording):
    key = service.new_key("browser")
    page.goto(service.url + "/")
    assert page.url == service.url + "/playground/"

    # a wrong key: the API's 401 message appears next to the key field
    page.fill("#api-key", "al_not-a-key")
    page.dispatch_event("#api-key", "change")
    error = page.locator('[data-error-for="Authorization"]')
    error.wait_for(state="visible")
    assert "not valid" in error.inner_text()

    page.fill("#api-key", key)
    page.dispatch_event("#api-key", "change")
    page.locator('#backend option[value="dsp"]').wait_for(state="attached")  # GET /v1/backends with the key
    assert page.evaluate("localStorage.getItem('audiolasso.apiKey')") == key

    page.set_input_files("#audio-file", str(recording))
    page.locator("#wave-hint").wait_for(state="hidden")  # decoded and drawn
    drag(page, "#wave", 0.25, 0.75)
    spans = page.locator("#spans li")
    assert spans.count() == 1
    start = float(spans.locator("input").nth(0).input_value())
    end = float(spans.locator("input").nth(1).input_value())
    assert start == pytest.approx(0.25 * SECONDS, abs=0.2) and end == pytest.approx(0.75 * SECONDS, abs=0.2)

    # no prompt: the API's 422 is shown next to the prompt field
    page.click("#submit")
    prompt_error = page.locator('[data-error-for="input.prompt"]')
    prompt_error.wait_for(state="visible")
    assert prompt_error.inner_text().strip()
    assert page.get_attribute("#prompt", "aria-invalid") == "true"

    page.fill("#prompt", "remove the noise and keep the speaker")
    with page.expect_request(lambda r: r.url.endswith("/v1/queue/audio/separate") and r.method == "POST") as sent:
        page.click("#submit")
    body = sent.value.post_data_json["input"]
    assert body["prompt"] == "remove the noise and keep the speaker" and body["file_id"].startswith("file_")
    assert body["spans"] == [
        {"start": pytest.approx(start, abs=0.01), "end": pytest.approx(end, abs=0.01), "include": True}
    ]

    page.locator("#reading").wait_for(state="visible")  # the interpretation, from the 202
    assert "speech" in page.inner_text("#reading-text")
    until(page, "['COMPLETED', 'FAILED', 'CANCELLED'].includes(document.getElementById('status').textContent)", 60)
    assert page.inner_text("#status") == "COMPLETED", page.inner_text("#status-detail")
    page.locator("#results").wait_for(state="visible")  # the result fetched and drawn
    request_id = page.inner_text("#request-id")
    with service.client(key) as client:
        assert client.get(f"/v1/queue/requests/{request_id}/status").json()["status"] == "COMPLETED"

    # both players hold the whole separated recording, and the download links serve audio
    for name in ("target", "residual"):
        until(page, f"document.getElementById('{name}-audio').readyState >= 1")
        assert page.evaluate(f"document.getElementById('{name}-audio').duration") == pytest.approx(SECONDS, abs=0.05)
        size = page.evaluate(
            f"fetch(document.getElementById('{name}-link').href).then(r => r.arrayBuffer()).then(b => b.byteLength)"
        )
        assert size > SECONDS * 48_000 * 4  # float32 WAV at the file's rate (48 kHz)
        assert page.get_attribute(f"#{name}-link", "download") == f"session.{name}.wav"

    # one clock: choosing another track keeps the position
    page.evaluate("document.getElementById('target-audio').currentTime = 3.0")
    page.check('input[name="listen"][value="residual"]')
    assert page.evaluate("document.getElementById('residual-audio').currentTime") == pytest.approx(3.0, abs=0.1)

    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    assert page.foreign == []  # no CDN, nothing outside the service
    assert page.script_errors == [] and page.server_errors == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)


def test_the_service_root_leads_to_the_page_which_may_reach_only_the_service(service):
    with service.client() as client:
        root = client.get("/")
        page = client.get("/playground/")
        missing = client.get("/playground/nothing-here.js")
    assert root.status_code == 307 and root.headers["location"] == "/playground/"
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"

"""The playground page, in a real headless browser (Debian's chromium, driven through its
chromedriver by Selenium), against a real transformer and predictor on the bundled Piper voice.

The page keeps what it did in `window.playground` (its mode and phase, the samples it scheduled
on Web Audio, the sentences and words it lit): the tests read that, and the page's own elements.
"""

import io
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile

from tests.servers import PredictorServer, start_transformer
from voxraga.auth import is_open_path

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TWO_SENTENCES = "The playground speaks this first sentence. Then it says a second one."
API_KEY = "playground-test-key"
WAIT_S = 60
INSTALL = (
    "the playground's browser tests need Debian's chromium and its driver "
    "(sudo apt-get install chromium chromium-driver) and selenium (the dev extra)"
)


def _browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return chromium, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium that plays audio without a click (the tests click, but a fetch's
    answer comes after the click's activation may have lapsed)."""
    chromium, driver_path = _browser_paths()
    if not (Path(chromium).is_file() and Path(driver_path).is_file()):
        pytest.skip(f"no chromium or chromedriver: {INSTALL}")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip(f"no selenium: {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # --no-sandbox: CI runs as root in a container; the browser visits only the test's server.
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
    ):
        options.add_argument(flag)
    downloads = tmp_path_factory.mktemp("downloads")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    # A driver path given: Selenium Manager (which would download one) is never asked.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_script_timeout(WAIT_S)
    yield driver
    driver.quit()


def open_page(browser, server: PredictorServer, path: str = "/playground") -> None:
    browser.get(server.http_url + path)
    wait_until(browser, lambda state: browser.execute_script("return document.body.dataset.ready"))


def page_state(browser) -> dict:
    return browser.execute_script("return window.playground")


def wait_until(browser, condition: Callable[[dict], object], timeout: float = WAIT_S) -> dict:
    """The page's state once `condition` holds; fails with the state (and any error shown)."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(browser, timeout, poll_frequency=0.1).until(
            lambda _: condition(page_state(browser))
        )
    except TimeoutException:
        pytest.fail(f"the page never got there: {page_state(browser)}")
    return page_state(browser)


def element(browser, element_id: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, element_id)


def type_text(browser, text: str) -> None:
    box = element(browser, "text")
    box.clear()
    box.send_keys(text)


def transcript_classes(browser, selector: str) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map((e) => e.className)", selector
    )


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER_ACCEPT, True),
        ("text/html", True),
        ("*/*", False),
        ("", False),
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0", False),
    ],
)
def test_only_a_header_that_prefers_html_gets_the_page_at_the_root(joe_transformer, accept, html):
    response = httpx.get(joe_transformer.http_url + "/", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["vary"] == "Accept"
    if html:
        assert response.headers["content-type"] == "text/html; charset=utf-8"
    else:
        assert response.json() == {"status": "alive"}


def test_the_page_and_its_files_need_no_key_but_nothing_else_opens():
    for path in ("/playground", "/playground/app.js", "/playground/style.css", "/"):
        assert is_open_path(path), path
    for path in ("/playgroundx", "/v1/audio/voices", "/v1/audio/speech/timestamps"):
        assert not is_open_path(path), path


def test_the_page_allows_only_its_own_origin_and_serves_only_its_files(joe_transformer):
    url = joe_transformer.http_url
    page = httpx.get(f"{url}/playground")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self';" in policy
    host = f"127.0.0.1:{joe_transformer.http_port}"
    assert f"connect-src 'self' ws://{host} wss://{host};" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    for name, media_type in (("app.js", "text/javascript"), ("style.css", "text/css")):
        asset = httpx.get(f"{url}/playground/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith(media_type)
    assert httpx.get(f"{url}/playground/index.html").status_code == 404
    assert "innerHTML" not in httpx.get(f"{url}/playground/app.js").text
    hostile = httpx.get(f"{url}/playground", headers={"host": "a;script-src *"})
    assert "script-src *" not in hostile.headers["content-security-policy"]


def test_speak_plays_each_chunk_through_web_audio_and_lights_each_sentence(
    joe_transformer, browser
):
    open_page(browser, joe_transformer)
    type_text(browser, TWO_SENTENCES)
    element(browser, "speak").click()
    state = wait_until(browser, lambda state: state["phase"] in ("done", "error"))
    assert state["error"] is None
    assert state["mode"] == "websocket"
    assert state["sampleRate"] == 24000
    assert [s["text"] for s in state["sentences"]] == [
        "The playground speaks this first sentence.",
        "Then it says a second one.",
    ]
    # Every sample the sentence frames account for went to Web Audio, and the context's clock
    # ran past them all: the audio was played, not just received.
    seconds = state["sentences"][-1]["end"]
    assert seconds > 2.0
    assert abs(state["samplesScheduled"] - seconds * 24000) < 0.002 * 24000
    assert state["chunks"] >= 2
    assert state["audioContextSeconds"] >= seconds
    assert state["sentencesLit"] == 2
    assert transcript_classes(browser, "#transcript .sentence") == ["sentence spoken"] * 2


def test_captions_light_each_word_as_the_file_plays_and_the_root_serves_both(
    joe_transformer, browser
):
    url = joe_transformer.http_url
    alive = httpx.get(url + "/")
    assert alive.status_code == 200 and alive.json() == {"status": "alive"}
    assert alive.headers["vary"] == "Accept"
    html = httpx.get(url + "/", headers={"accept": BROWSER_ACCEPT})
    assert html.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in html.headers
    open_page(browser, joe_transformer, "/")
    type_text(browser, TWO_SENTENCES)
    element(browser, "captions").click()
    state = wait_until(browser, lambda state: state["phase"] in ("done", "error"))
    assert state["error"] is None
    assert state["mode"] == "captions"
    assert len(state["words"]) >= 10
    assert state["wordsLit"] == len(state["words"])
    assert state["sentencesLit"] == 2
    assert state["audioContextSeconds"] >= state["sentences"][-1]["end"] - 0.1
    assert transcript_classes(browser, "#transcript .word").count("word spoken") == (
        len(state["words"]) - 1
    )


def recording(path: Path) -> Path:
    rate = 22050
    t = np.arange(rate) / rate
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.3 * np.sin(2 * np.pi * 220 * t), rate, format="WAV")
    path.write_bytes(buffer.getvalue())
    return path


def test_voices_download_and_the_servers_own_errors(joe_transformer, browser, tmp_path):
    url = joe_transformer.http_url
    open_page(browser, joe_transformer)
    listed = httpx.get(f"{url}/v1/audio/voices").json()["data"]
    options = browser.execute_script(
        "return [...document.querySelectorAll('#voice option')].map((o) => o.value)"
    )
    assert options == ["", *[v["id"] for v in listed if v["id"] != "default"]]

    type_text(browser, "A short file to keep.")
    browser.execute_script("document.getElementById('format').value = 'wav'")
    element(browser, "download").click()
    state = wait_until(browser, lambda state: state["download"] or state["error"])
    assert state["download"]["contentType"] == "audio/wav"
    assert state["download"]["bytes"] > 22050
    assert element(browser, "download-link").text.startswith("speech.wav")

    # Piper cannot clone: the page shows the server's own message for the upload.
    sample = recording(tmp_path / "me.wav")
    refused = httpx.post(
        f"{url}/v1/audio/voices",
        data={"name": "me"},
        files={"audio_sample": ("me.wav", sample.read_bytes(), "audio/wav")},
    )
    assert refused.status_code == 400
    element(browser, "voice-name").send_keys("me")
    element(browser, "voice-file").send_keys(str(sample))
    element(browser, "upload").submit()
    state = wait_until(browser, lambda state: state["upload"])
    assert state["upload"] == {"error": refused.json()["error"]["message"]}
    assert element(browser, "error").text == refused.json()["error"]["message"]

    # The WebSocket's error frame, likewise: text without a sentence end past the limit.
    browser.execute_script(  # too long to type key by key
        "document.getElementById('text').value = arguments[0]", "word " * 2100
    )
    element(browser, "speak").click()
    state = wait_until(browser, lambda state: state["phase"] == "error")
    assert "without a sentence end" in state["error"]
    assert element(browser, "error").text == state["error"]


@pytest.fixture(scope="module")
def keyed_transformer(piper_server, log_dir, tmp_path_factory) -> Iterator[PredictorServer]:
    """A second transformer, with an API key, in front of the shared (key-less) predictor."""
    key_file = tmp_path_factory.mktemp("playground-key") / "key"
    key_file.write_text(API_KEY)
    server = start_transformer(piper_server, log_dir, "--api_key_file", str(key_file))
    yield server
    server.stop()


def test_with_a_key_the_page_opens_and_sends_it_and_speak_streams_the_file(
    keyed_transformer, browser
):
    url = keyed_transformer.http_url
    assert httpx.get(f"{url}/playground").status_code == 200
    assert httpx.get(f"{url}/v1/audio/voices").status_code == 401
    open_page(browser, keyed_transformer)
    assert "API key" in element(browser, "upload-status").text
    key = element(browser, "api-key")
    browser.execute_script("arguments[0].closest('details').open = true", key)
    key.send_keys(API_KEY)
    browser.execute_script("arguments[0].dispatchEvent(new Event('change'))", key)
    wait_until(browser, lambda state: state["model"] == keyed_transformer.name)
    type_text(browser, TWO_SENTENCES)
    element(browser, "speak").click()
    state = wait_until(browser, lambda state: state["phase"] in ("done", "error"))
    assert state["error"] is None
    assert state["mode"] == "http"
    assert state["samplesScheduled"] > 2.0 * 24000
    assert state["audioContextSeconds"] >= state["samplesScheduled"] / 24000
    assert browser.execute_script("return sessionStorage.getItem('vox-raga-api-key')") == API_KEY

"""labspin watch in a real headless browser (Debian's chromium and chromedriver through
selenium): what a person sees during a night, and the token off the loopback.

Skipped, with the reason, where the browser is not installed; .ci/run installs it, and
test_status_page.py checks the same page over plain HTTP everywhere.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from labspin.watch import start

from .conftest import PAUSE_ROW

CHROMIUM = os.environ.get("LABSPIN_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOT = os.environ.get("LABSPIN_WATCH_SCREENSHOT")  # docs/watch.png remade from here

selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install "
                               "-e '.[dev]')")
if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
    pytest.skip(f"no headless browser: {CHROMIUM} or {CHROMEDRIVER} missing (apt-get install "
                "chromium chromium-driver); the page is still checked over HTTP in "
                "test_status_page.py", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options,
                              service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def server(night):
    servers = []

    def make(host="127.0.0.1"):
        servers.append(start(night.data_dir, host, 0).serve_in_thread())
        return servers[-1]

    yield make
    for s in servers:
        s.stop()


def text(driver, element_id):
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : ''",
        element_id)


SEEN = """
const t = (id) => { const e = document.getElementById(id); return e ? e.innerText : ""; };
const plot = document.getElementById("plot");
return {queue: t("queue"), running: t("running"), bench: t("bench"),
        rows: [...document.querySelectorAll("#runs tbody tr")].map((r) => r.innerText),
        plot: plot && plot.complete ? plot.naturalWidth : 0,
        bars: [...document.querySelectorAll("progress")].map((p) => p.position),
        loaded: document.body.dataset.loaded === "1"};
"""


def seen(driver):
    """What the page shows, read in one go (the page swaps its content every 3 s)."""
    return driver.execute_script(SEEN)


def wait_for(driver, condition, timeout=20):
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: condition(d))


def test_a_person_sees_the_night_progress_plot_bench_and_fits(night, server, browser, tmp_path):
    watch = server()
    browser.get(watch.url)
    page = wait_for(browser, lambda d: (lambda s: s if s["loaded"] and s["plot"] > 300
                                        else None)(seen(d)))
    queue = page["queue"]
    assert "'Hall loops'" in queue and "1 of 3 runs finished, 0 failed" in queue
    assert re.search(r"time left\s+about (under a second|\d+ s)", queue)
    assert "(2 of 3: z loops" in queue
    assert page["bars"] == pytest.approx([1 / 3, PAUSE_ROW / 22], abs=1e-3)  # queue, run
    running = page["running"]
    assert f"{PAUSE_ROW} of 22" in running and "HallLoop" in running
    bench = page["bench"]
    assert re.match(r"state\s+safe", bench) and re.search(r"source output\s+off", bench)
    kelvin = float(re.search(r"stage temperature\s+([\d.]+) K", bench)[1])
    assert kelvin == pytest.approx(300.0, abs=0.5)
    rows = page["rows"]
    assert len(rows) == 2
    assert "running" in rows[0] and "finished" in rows[1] and "R_AHE =" in rows[1]
    for tag in ("form", "button", "input", "select", "textarea"):
        assert browser.find_elements(By.TAG_NAME, tag) == []
    assert browser.execute_script("return document.querySelectorAll('[onclick]').length") == 0
    shot = Path(SCREENSHOT) if SCREENSHOT else tmp_path / "watch.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

    night.release()  # the page follows on its own, without a reload
    wait_for(browser, lambda d: "3 of 3 runs finished" in text(d, "queue"))
    wait_for(browser, lambda d: text(d, "running") == "nothing is running")
    assert "finished" in text(browser, "queue")
    kelvin = float(re.search(r"stage temperature\s+([\d.]+) K", text(browser, "bench"))[1])
    assert kelvin == pytest.approx(310.0, abs=0.5)


def test_off_the_loopback_only_the_printed_url_opens_the_page(night, server, browser):
    night.release()
    watch = server("0.0.0.0")
    plain = f"http://127.0.0.1:{watch.port}/"
    browser.get(plain)
    assert "needs the access token" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{plain}?token={watch.token}")
    wait_for(browser, lambda d: "3 of 3 runs finished" in text(d, "queue"))
    browser.get(plain)  # the cookie carries the token from now on
    wait_for(browser, lambda d: "3 of 3 runs finished" in text(d, "queue"))

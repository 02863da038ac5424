"""The screenshot of ``labspin watch`` for README, taken in headless chromium.

    python docs/watch_screenshot.py [--out docs/watch.png]

Runs examples/queues/pulse-width.yaml on the simulated bench in a thread, holds the
fourth run halfway through, serves the data directory with ``labspin watch`` and
photographs the page with Debian's chromium and chromedriver (selenium). Real runs on
the simulated bench, nothing staged; about half a minute.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUEUE = ROOT / "examples" / "queues" / "pulse-width.yaml"
HOLD_RUN, HOLD_ROW = 3, 30


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "watch.png")
    args = parser.parse_args()
    from selenium import webdriver

    from labspin.queue_runner import run_queue
    from labspin.queues import load_queue_file, plan_queue
    from labspin.runs import open_catalog
    from labspin.safety import SafetyGuard
    from labspin.station import Station
    from labspin.stationfile import load_station_file
    from labspin.watch import start

    queue = load_queue_file(QUEUE)
    station_path = (QUEUE.parent / queue.station).resolve()
    config = load_station_file(station_path)
    plan = plan_queue(queue, str(QUEUE), SafetyGuard(config.limits, config.sample, config.name))
    gate, held = threading.Event(), threading.Event()
    where = {"run": -1, "rows": 0}

    def run_start(run, queue_id):
        where["run"], where["rows"] = run.index, 0

    def on_row(row):
        where["rows"] += 1
        if where["run"] == HOLD_RUN and where["rows"] == HOLD_ROW:
            held.set()
            gate.wait(120)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "labspin-data"

        def night() -> None:
            with Station.open(station_path) as station, open_catalog(data_dir) as catalog:
                run_queue(plan, station, catalog, on_run_start=run_start, on_row=on_row,
                          should_stop=lambda: gate.is_set() and held.is_set())

        worker = threading.Thread(target=night, daemon=True)
        worker.start()
        if not held.wait(300):
            raise SystemExit("the queue never reached the run to photograph")
        server = start(data_dir, "127.0.0.1", 0).serve_in_thread()
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                         "--window-size=1280,1240", "--hide-scrollbars"):
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(
            executable_path="/usr/bin/chromedriver"))
        try:
            driver.get(server.url)
            end = time.monotonic() + 60
            while time.monotonic() < end and not driver.execute_script(
                    "const p = document.getElementById('plot'); return document.body.dataset"
                    ".loaded && p.complete && p.naturalWidth > 0"):
                time.sleep(0.2)
            time.sleep(0.5)
            driver.save_screenshot(str(args.out))
        finally:
            driver.quit()
            server.stop()
            gate.set()
            worker.join(120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

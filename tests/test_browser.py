"""A real browser: JupyterLab on localhost in Debian's Chromium, driven by Playwright,
runs the balanced-random-network notebook, moves the panel's g slider, and checks that
the raster changed. Screenshots go to the test's output folder."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
NOTEBOOK = "04_balanced_random_network.ipynb"
TOKEN = "bss1lab-browser-test"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run "
                                       "installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, tmp_path / NOTEBOOK)
    port = free_port()
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
         "--ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={tmp_path}", "--LabApp.news_url="],
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail("JupyterLab did not start: " + (tmp_path / "jupyterlab.log").read_text())
    yield url
    server.terminate()
    server.wait(30)
    log.close()


def raster_canvas(page):
    """The raster's bokeh canvas: the first plot of the panel's output."""
    return page.locator(".jupyter-widgets .bk-Figure, .jupyter-widgets .bk-root").first


def test_moving_a_slider_redraws_the_raster(lab, tmp_path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{lab}/lab/tree/{NOTEBOOK}?token={TOKEN}")
        page.wait_for_selector(".jp-Notebook", timeout=120_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle'], "
                               ".jp-Notebook .jp-Cell", timeout=120_000)
        # Run > Run All Cells
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        status = page.locator(".jupyter-widgets.widget-html", has_text="done in").first
        status.wait_for(timeout=300_000)
        panel = page.locator(".jupyter-widgets.widget-vbox", has_text="balanced random "
                             "network on the wafer").first
        panel.scroll_into_view_if_needed()
        canvas = raster_canvas(panel)
        canvas.wait_for(timeout=60_000)
        time.sleep(1.0)
        before = canvas.screenshot(path=str(tmp_path / "raster_before.png"))
        first_run = int(status.text_content().split("run ")[1].split()[0])
        # type a new g into the slider's readout, as a user can: click, type, enter
        g_slider = panel.locator(".widget-slider").filter(
            has=page.locator(".widget-label", has_text="g")).filter(
            has_not=page.locator(".widget-label", has_text="eta")).first
        readout = g_slider.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("9")
        page.keyboard.press("Enter")
        # the panel numbers its runs: wait for a later run to be done
        page.wait_for_function(
            """first => [...document.querySelectorAll('.widget-html')].some(h => {
                   const m = h.textContent.match(/run (\\d+) done in/);
                   return m && Number(m[1]) > first; })""",
            arg=first_run, timeout=300_000)
        time.sleep(2.0)
        after = canvas.screenshot(path=str(tmp_path / "raster_after.png"))
        page.screenshot(path=str(tmp_path / "jupyterlab.png"), full_page=True)
        browser.close()
    print(f"screenshots in {tmp_path}")
    assert before != after, "the raster did not change after moving the g slider"

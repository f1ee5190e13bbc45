"""A real browser: JupyterLab on localhost in Debian's Chromium, driven by Playwright,
as a student meets the course. For each of the four panels (single neuron: notebook
01, calibration: 02, random network: 04, microcircuit: 05) the notebook up to and with
its panel is run with Run All on a fresh kernel; each kind of control the panel has is
changed (dropdown, a number typed into its box, a slider moved with the keyboard,
toggle buttons, checkbox), then one number ten times in a row without waiting, then a
bad number is typed; the page is reloaded and Run All runs again on the same kernel.
Every time: no javascript-error box, no bokeh error in the browser console, every
figure drawn, the picture changed, the panel's code box (built from the call it ran)
holding the final controls' values, and the bad number refused in words. Screenshots
go to the test's tmp folder.

One JupyterLab server serves all four notebooks; the numba engine is compiled (or
its cache checked) in a subprocess before the server starts, so no kernel compiles
while the browser waits.
"""

from __future__ import annotations

import json
import os
import re
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
TOKEN = "bss1lab-browser-test"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
#: a run of a panel, or a notebook's Run All, on 2 shared cores (s); generous: the
#: engine is compiled before the server starts
RUN_TIMEOUT_MS = 120_000

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run "
                                       "installs it)")

# What the page shows when a widget view or a javascript output fails: ipywidgets'
# error box, JupyterLab's javascript renderer, bokeh's own load warning.
ERROR_TEXTS = ["Click to show javascript error", "Failed to create view",
               "Javascript Error", "BokehJS does not appear to have successfully loaded",
               "BokehJS failed to load"]

#: each panel: its notebook, the cell that makes it (and what it is shortened to,
#: to keep the browser test short), and a phrase of its title
PANELS = {
    "single neuron": ("01_neuron_on_the_wafer.ipynb", "SingleNeuronPanel()", None,
                      "A neuron on the wafer"),
    "calibration": ("02_fixed_pattern_noise_and_calibration.ipynb", "CalibrationPanel()",
                    None, "Fixed-pattern noise and calibration"),
    "random network": ("04_balanced_random_network.ipynb",
                       "RandomNetworkPanel(duration=500.0)",
                       "RandomNetworkPanel(duration=300.0)",
                       "The balanced random network on the wafer"),
    "microcircuit": ("05_cortical_microcircuit.ipynb",
                     "MicrocircuitPanel(duration=1000.0)",
                     "MicrocircuitPanel(duration=300.0)", "The cortical microcircuit"),
}


#: the first notebook: figures, no panel
WELCOME = "00_welcome.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_up_to_its_panel(name: str, panel_call: str, shorter: str | None,
                             folder: Path) -> None:
    """Copy the notebook's cells up to the one that shows its panel (the cells a
    student runs before meeting the panel), the panel's duration shortened."""
    notebook = json.loads((ROOT / "notebooks" / name).read_text())
    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and panel_call in source:
            break
    else:
        raise AssertionError(f"{name} has no cell with {panel_call}")
    if shorter is not None:
        cell["source"] = source.replace(panel_call, shorter)
    notebook["cells"] = notebook["cells"][:index + 1]
    (folder / name).write_text(json.dumps(notebook))


WARM_UP = """
from bss1lab.experiments import balanced_random_network, cortical_microcircuit, single_neuron
from bss1lab.experiments.calibration import realised_parameters
from bss1lab.hardware import Wafer
from bss1lab.network.adex import naud_pattern
cell, amplitude = naud_pattern("adapting")
for wafer in (Wafer(), Wafer.ideal()):
    single_neuron(cell, 50.0, current=(10.0, 40.0, amplitude), wafer=wafer)
    balanced_random_network(n_neurons=500, duration=50.0, wafer=wafer,
                            record_variables=["v"], record_cells={"E": [0]})
realised_parameters(wafer=Wafer())
cortical_microcircuit("original", N_scaling=0.02, K_scaling=0.1, duration=50.0)
cortical_microcircuit("hardware", wafer=Wafer(), duration=50.0)
"""


def jupyter_environment() -> dict[str, str]:
    """The environment of the server: in a virtualenv made with
    --system-site-packages, the base installation's lab extensions (ipywidgets',
    jupyter_bokeh's) are installed, but Jupyter looks for them only under the
    virtualenv's prefix: add the base's."""
    env = dict(os.environ)
    base = Path(sys.base_prefix) / "share" / "jupyter"
    if sys.prefix != sys.base_prefix and base.is_dir():
        env["JUPYTER_PATH"] = os.pathsep.join(
            p for p in (env.get("JUPYTER_PATH"), str(base)) if p)
    return env


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """One JupyterLab server on a folder holding the four notebooks up to their
    panels; the engine compiled first."""
    folder = tmp_path_factory.mktemp("lab")
    subprocess.run([sys.executable, "-c", WARM_UP], check=True, cwd=folder, timeout=900)
    for name, panel_call, shorter, _ in PANELS.values():
        notebook_up_to_its_panel(name, panel_call, shorter, folder)
    shutil.copy(ROOT / "notebooks" / WELCOME, folder / WELCOME)
    port = free_port()
    log_path = folder / "jupyterlab.log"
    log = open(log_path, "w")
    # the kernel runs with this interpreter: jupyter_client puts the server's
    # sys.executable for the "python" of the default kernel spec ("python -m jupyter
    # lab" would run whichever jupyter-lab is first on PATH)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={folder}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder, env=jupyter_environment())
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start: " + log_path.read_text())
        yield url
    finally:
        server.terminate()
        server.wait(30)
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Student:
    """A page of JupyterLab on one notebook, and what its console said."""

    def __init__(self, browser, url: str, notebook: str, folder: Path) -> None:
        self.url, self.notebook, self.folder = url, notebook, folder
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.shots = 0

    def open(self) -> None:
        # reset: a workspace of this notebook alone (JupyterLab would reopen the
        # notebooks of the pages before, each with its kernel)
        self.page.goto(f"{self.url}/lab/tree/{self.notebook}?reset&token={TOKEN}")
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", state="attached",
                                    timeout=RUN_TIMEOUT_MS)
        # the kernel is up when the status bar says so
        self.page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(
            timeout=RUN_TIMEOUT_MS)
        # JupyterLab asks whether to fetch its news; the toast would cover the panel
        no = self.page.locator(".jp-toast-button", has_text="No")
        if no.count():
            no.first.click()

    def prompts(self) -> list[str]:
        return self.page.locator(
            ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_text_contents()

    def run_all(self) -> None:
        """Run > Run All Cells, and wait until the last code cell has a new number."""
        numbers = [int(n) for p in self.prompts() for n in re.findall(r"\[(\d+)\]", p)]
        before = max(numbers, default=0)  # a reloaded page shows the last run's numbers
        for attempt in range(3):
            self.page.get_by_role("menuitem", name="Run", exact=True).click()
            self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            try:  # a kernel still connecting may drop the request: ask again
                self.page.wait_for_function(
                    """before => [...document.querySelectorAll(
                        '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].some(p => {
                        const m = p.textContent.match(/\\[(\\*|\\d+)\\]/);
                        return m && (m[1] === '*' || Number(m[1]) > before); })""",
                    arg=before, timeout=20_000)
                break
            except playwright.TimeoutError:
                continue
        try:
            # the cells run in order and Run All stops at an error: the last cell
            # (the panel's, on screen when it runs) numbered anew means all ran
            self.page.wait_for_function(
                """before => {
                    const prompts = document.querySelectorAll(
                        '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt');
                    const m = prompts.length > 0 &&
                        prompts[prompts.length - 1].textContent.match(/\\[(\\d+)\\]/);
                    return m && Number(m[1]) > before;
                }""", arg=before, timeout=RUN_TIMEOUT_MS)
        except playwright.TimeoutError:
            self.page.screenshot(path=str(self.folder / "run_all_timeout.png"),
                                 full_page=True)
            errors = self.page.locator(".jp-OutputArea-output[data-mime-type="
                                       "'application/vnd.jupyter.stderr']").all_inner_texts()
            raise AssertionError(f"Run All did not finish: prompts {self.prompts()}, "
                                 f"errors {errors}") from None

    def errors_on_the_page(self) -> list[str]:
        text = self.page.locator(".jp-Notebook").first.inner_text()
        # BokehJS shows its own errors in a notification area beside each root
        bokeh = self.page.evaluate(
            """() => [...document.querySelectorAll('.jp-Notebook .bk-Notifications')]
                .map(n => [...n.shadowRoot.children].filter(c => c.tagName !== 'STYLE')
                          .map(c => c.textContent.trim()).join(' '))
                .filter(t => t.length > 0)""")
        return [t for t in ERROR_TEXTS if t in text] + bokeh

    def bokeh_errors_in_the_console(self) -> list[str]:
        return [m for m in self.console
                if m.startswith(("error", "pageerror"))
                and re.search(r"bokeh|BokehView|Failed to create view|require", m, re.I)]

    def figures(self) -> tuple[int, int, list[str]]:
        """(bokeh roots in the notebook's outputs, those drawn on a canvas, what the
        others hold). BokehJS
        draws each root in a shadow root, its plots' canvases in nested ones."""
        return self.page.evaluate(
            """() => {
                const deep = (node) => [...node.querySelectorAll('*')].some(
                    e => e.tagName === 'CANVAS' || (e.shadowRoot && deep(e.shadowRoot)));
                const roots = [...document.querySelectorAll(
                    '.jp-Notebook .jp-OutputArea-output *')].filter(
                    e => e.shadowRoot && !e.classList.contains('bk-Notifications'));
                return [roots.length, roots.filter(r => deep(r.shadowRoot)).length,
                        roots.filter(r => !deep(r.shadowRoot)).map(
                            r => r.tagName + '.' + r.className + ' ' +
                                 r.shadowRoot.innerHTML.slice(0, 300))];
            }""")

    def panel(self, title: str):
        return self.page.locator(".jupyter-widgets.widget-vbox", has_text=title).first

    def last_run(self, panel) -> int:
        """The number of the last finished run of the panel (0 if none)."""
        text = panel.locator(".widget-html", has_text="done in").first.text_content() \
            if panel.locator(".widget-html", has_text="done in").count() else ""
        match = re.search(r"run (\d+) done in", text)
        return int(match.group(1)) if match else 0

    def wait_for_run(self, panel, number: int) -> None:
        """Wait until the panel says run `number` (or a later one) is done."""
        handle = panel.element_handle()
        self.page.wait_for_function(
            """([panel, number]) => [...panel.querySelectorAll('.widget-html')].some(h => {
                   const m = h.textContent.match(/run (\\d+) done in/);
                   return m && Number(m[1]) >= number; })""",
            arg=[handle, number], timeout=RUN_TIMEOUT_MS)

    def wait_for_the_last_run(self, panel, code: list[str]) -> None:
        """Wait until the code box shows the last controls' call and its run is done
        (a run the user moved on from never says "done": the panel drops it)."""
        handle = panel.element_handle()
        self.page.wait_for_function(
            """([panel, patterns]) => {
                const code = panel.querySelector('textarea').value;
                const texts = [...panel.querySelectorAll('.widget-html')]
                    .map(h => h.textContent);
                return patterns.every(p => new RegExp(p).test(code)) &&
                       texts.some(t => /run \\d+ done in/.test(t)) &&
                       !texts.some(t => t.includes('running...'));
            }""", arg=[handle, code], timeout=RUN_TIMEOUT_MS)

    def picture(self, panel, label: str) -> bytes:
        """A screenshot of the panel's figures, saved in the test's folder."""
        self.page.wait_for_timeout(800)  # bokeh redraws on its next animation frame
        figures = panel.locator(".widget-hbox").first.locator(".widget-vbox").last
        self.shots += 1
        path = self.folder / f"{self.notebook[:2]}_{self.shots:02d}_{label}.png"
        return figures.screenshot(path=str(path))

    def code(self, panel) -> str:
        return panel.locator("textarea").first.input_value()

    # --- controls, as a user changes them ------------------------------------------

    def number_control(self, panel, label: str):
        """A panel's number control: its slider (labelled) and text box."""
        return panel.locator(
            ".widget-hbox:has(> .widget-slider):has(> .bss1lab-number)").filter(
            has=self.page.locator(".widget-slider .widget-label",
                                  has_text=re.compile(f"^{re.escape(label)}$"))).first

    def type_into_box(self, panel, label: str, value) -> None:
        """Type a number into the box next to a slider, and press Enter."""
        box = self.number_control(panel, label).locator(".bss1lab-number input")
        box.fill(str(value))
        box.press("Enter")

    def step_slider(self, panel, label: str) -> None:
        """Move a slider one step right with the keyboard, as a user can."""
        handle = self.number_control(panel, label).locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")

    def click_toggle(self, panel, option: str) -> None:
        panel.locator(".widget-toggle-buttons button", has_text=option).first.click()

    def click_checkbox(self, panel, label: str) -> None:
        panel.locator(".widget-checkbox").filter(has_text=label).first.locator(
            "input").click()

    def choose(self, panel, label: str, option: str) -> None:
        panel.locator(".widget-dropdown").filter(has_text=label).first.locator(
            "select").select_option(option)


def assert_page_is_clean(student: Student, when: str) -> None:
    errors = student.errors_on_the_page()
    assert not errors, f"{when}: the page shows {errors}"
    console = student.bokeh_errors_in_the_console()
    assert not console, f"{when}: the browser console says {console[:3]}"
    for _ in range(20):  # BokehJS draws a root on its next animation frames
        roots, drawn, others = student.figures()
        if roots > 0 and drawn == roots:
            break
        student.page.wait_for_timeout(500)
    assert roots > 0 and drawn == roots, \
        f"{when}: {drawn} of {roots} bokeh figures drawn; the others: {others}"


# Each panel: the changes (one of each kind of control it has), then the control
# changed ten times in a row and its ten values, then what the final code must say.
CHANGES = {
    "single neuron": dict(
        changes=[("choose", "model", "LIF"), ("type", "current (nA)", 0.8),
                 ("step", "current (nA)"), ("checkbox", "calibrated"), ("toggle", "ideal"),
                 ("toggle", "emulated wafer")],
        rapid=("current (nA)", [0.6, 0.7, 0.6, 0.7, 0.6, 0.7, 0.6, 0.7, 0.6, 0.9]),
        code=[r"IF_cond_exp\(", r"calibrated=False", r"current=\(50\.0, 450\.0, 0\.9\)"]),
    "calibration": dict(
        changes=[("choose", "parameter", "tau_m"), ("type", "variation", 0.5),
                 ("step", "chip (wafer seed)"), ("type", "reprogram trial", 2)],
        rapid=("reprogram trial", [3, 4, 3, 4, 3, 4, 3, 4, 3, 5]),
        code=[r"variation=0\.5\b", r"seed=1\b", r"trial=5\b", r"'tau_m'"]),
    # the smallest network first: the rest runs in a fraction of a second each
    "random network": dict(
        changes=[("type", "neurons", 500), ("type", "g", 6), ("step", "eta"),
                 ("toggle", "ideal"), ("toggle", "emulated wafer"),
                 ("checkbox", "routing loss")],
        rapid=("variation", [0, 1, 0, 1, 0, 1, 0, 1, 0, 0.5]),
        code=[r"n_neurons=500\b", r"g=6(\.0)?\b", r"eta=2\.1\b", r"variation=0\.5\b",
              r"routing_loss=False"]),
    "microcircuit": dict(
        changes=[("type", "N scaling", 0.02), ("step", "K scaling"),
                 ("choose", "background", "dc"), ("toggle", "hardware"),
                 ("toggle", "original")],
        rapid=("K scaling", [0.2, 0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.3, 0.2, 0.25]),
        code=[r"N_scaling=0\.02\b", r"K_scaling=0\.25\b", r"background='dc'"]),
}


def change(student: Student, panel, kind: str, *args) -> None:
    {"type": student.type_into_box, "step": student.step_slider,
     "toggle": student.click_toggle,
     "checkbox": student.click_checkbox, "choose": student.choose}[kind](panel, *args)


def test_the_welcome_notebook_draws_its_figures_on_a_fresh_page_and_after_a_reload(
        lab, browser, tmp_path):
    student = Student(browser, lab, WELCOME, tmp_path)
    try:
        student.open()
        student.run_all()
        assert_page_is_clean(student, "after Run All on a fresh kernel")
        student.page.reload()
        student.open()
        student.run_all()
        assert_page_is_clean(student, "after reloading the page and Run All")
    finally:
        student.page.screenshot(path=str(tmp_path / "00_page.png"), full_page=True)
        student.page.close()
        shut_down_kernels(lab)


@pytest.mark.parametrize("name", list(PANELS))
def test_a_panel_works_in_the_browser_on_a_fresh_page_and_after_a_reload(
        name, lab, browser, tmp_path):
    notebook = PANELS[name][0]
    student = Student(browser, lab, notebook, tmp_path)
    try:
        use_the_panel(student, name)
    finally:
        student.page.screenshot(path=str(tmp_path / f"{notebook[:2]}_page.png"),
                                full_page=True)
        student.page.close()
        shut_down_kernels(lab)
        print(f"screenshots in {tmp_path}")


def shut_down_kernels(url: str) -> None:
    """End the notebook's kernel (a student's closed tab would leave it running)."""
    with urllib.request.urlopen(f"{url}/api/sessions?token={TOKEN}") as response:
        sessions = json.load(response)
    for session in sessions:
        request = urllib.request.Request(
            f"{url}/api/sessions/{session['id']}?token={TOKEN}", method="DELETE")
        urllib.request.urlopen(request).close()


def use_the_panel(student: Student, name: str) -> None:
    title = PANELS[name][3]
    started = time.perf_counter()

    def phase(what: str) -> None:
        print(f"{name}: {what} after {time.perf_counter() - started:.1f} s")

    student.open()
    student.run_all()
    panel = student.panel(title)
    student.wait_for_run(panel, 1)
    phase("fresh Run All done")
    assert_page_is_clean(student, "after Run All on a fresh kernel")
    runs = student.last_run(panel)
    pictures = [student.picture(panel, "first")]

    plan = CHANGES[name]
    for kind, *args in plan["changes"]:
        change(student, panel, kind, *args)
        runs += 1
        student.wait_for_run(panel, runs)
        pictures.append(student.picture(panel, f"{kind}_{args[0]}".replace(" ", "_")))
        assert pictures[-1] != pictures[-2], f"the picture did not change after {args}"
    phase("changes done")
    label, values = plan["rapid"]
    for value in values:  # without waiting: each change stops the run before it
        student.type_into_box(panel, label, value)
    student.wait_for_the_last_run(panel, plan["code"])
    print(f"{name}: {student.last_run(panel) - runs} runs started by the ten changes")
    pictures.append(student.picture(panel, "after_ten_changes"))
    assert pictures[-1] != pictures[-2], "the picture did not change after ten changes"
    assert "color:#b00" not in panel.inner_html(), \
        f"the panel reports an error: {panel.locator('.widget-html').all_inner_texts()}"
    runs = student.last_run(panel)
    code = student.code(panel)
    for pattern in plan["code"]:
        assert re.search(pattern, code), f"the code box lacks {pattern}:\n{code}"
    assert_page_is_clean(student, "after the changes")

    # a bad number typed into a box: refused in words next to it, nothing runs
    student.type_into_box(panel, label, "abc")
    message = panel.locator(".bss1lab-number-message", has_text="abc").first
    message.wait_for(timeout=10_000)
    assert "must be" in message.inner_text()
    student.page.wait_for_timeout(1000)
    assert student.last_run(panel) == runs

    phase("ten changes done")
    # reload the tab: a new page on the same kernel, and Run All again
    student.page.reload()
    student.open()
    student.run_all()
    panel = student.panel(title)
    student.wait_for_run(panel, 1)
    pictures.append(student.picture(panel, "after_reload"))
    assert_page_is_clean(student, "after reloading the page and Run All")
    phase("reload and Run All done")

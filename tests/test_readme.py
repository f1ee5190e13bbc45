"""Every Python example in README.md runs as written: the ```python blocks are run in
order, in one namespace (as a reader pastes them one after the other into one
session); ```bash blocks are not run."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block."""
    return [(text[:m.start()].count("\n") + 1, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_block_finder_sees_python_blocks_and_skips_bash_ones():
    text = "x\n```python\na = 1\n```\n```bash\nexit 1\n```\n```python\nb = a\n```\n"
    assert python_blocks(text) == [(2, "a = 1\n"), (8, "b = a\n")]


def test_every_python_block_of_the_readme_runs_as_written(tmp_path, monkeypatch):
    blocks = python_blocks(README.read_text())
    assert len(blocks) >= 2, "the README's examples were not found"
    monkeypatch.chdir(tmp_path)  # whatever an example writes stays out of the repository
    namespace: dict = {"__name__": "__readme__"}
    for line, source in blocks:
        code = compile(source, f"README.md, the block at line {line}", "exec")
        exec(code, namespace)

"""``quizgen preview --watch`` in a real browser: edits appear without a reload, errors too."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import checkout_env, needs_chromium

SCREENSHOTS = Path("/tmp/quizgen-browser")

BANK = """\
id: live
title: Live preview
questions:
  - id: q1
    kind: numeric
    params:
      h: {choice: [2, 3]}
    answer: h*2
    prompt: What is twice {{ h }} apples?
    solution: Twice {{ h }} is {{ answer }}.
"""

pytestmark = needs_chromium


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``quizgen preview --watch`` on a fresh bank, through the real console script."""
    bank = tmp_path / "live.yaml"
    bank.write_text(BANK, encoding="utf-8")
    script = Path(sys.executable).parent / "quizgen"
    proc = subprocess.Popen(
        [str(script), "preview", str(bank), "--watch", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=checkout_env(),
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
        yield match[0], bank
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)


def _paper_text(page: Any) -> str:
    return page.frame_locator("iframe").first.locator("body").inner_text()


def test_an_edit_shows_without_a_reload_and_a_broken_edit_shows_its_error(
    browser: Any, served: tuple[str, Path]
) -> None:
    url, bank = served
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    assert "twice 2 apples" in _paper_text(page) or "twice 3 apples" in _paper_text(page)

    time.sleep(0.05)  # a new modification time even on coarse file systems
    bank.write_text(BANK.replace("apples", "pears"), encoding="utf-8")
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe');"
        " return f && f.contentDocument && f.contentDocument.body.innerText.includes('pears'); }",
        timeout=10_000,
    )
    assert "apples" not in _paper_text(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "preview.png"))

    bank.write_text(BANK.replace("answer: h*2", "answer: h*k"), encoding="utf-8")
    errors = page.locator("#errors")
    errors.wait_for(timeout=10_000)
    shown = errors.inner_text()
    assert "live.yaml:8:5: questions[0].answer" in shown
    assert "formula: unknown name 'k'" in shown
    assert page.locator("iframe").count() == 0  # no stale paper beside the error
    page.screenshot(path=str(SCREENSHOTS / "preview-error.png"))

    bank.write_text(BANK, encoding="utf-8")
    page.locator("iframe").first.wait_for(timeout=10_000)
    assert all(r.startswith(url) or r.startswith("about:") for r in requests), requests

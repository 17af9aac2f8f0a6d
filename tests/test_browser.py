"""HTML papers and keys in a real browser: offline, MathML rendered, printable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.render import get_renderer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEST_BANK = Path(__file__).resolve().parent / "data" / "render-bank.yaml"
SCREENSHOTS = Path("/tmp/quizgen-browser")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (CI installs Debian's chromium)"
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A rendered paper and key, written to files."""
    exam = build_exam([load_bank(TEST_BANK)], numbered_students(2), "7")
    renderer = get_renderer("html")
    folder = tmp_path_factory.mktemp("html")
    files = {"paper": folder / "s001.html", "key": folder / "key.html"}
    files["paper"].write_text(renderer.paper(exam, exam.papers[0]), encoding="utf-8")
    files["key"].write_text(renderer.key(exam), encoding="utf-8")
    return files


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("which", ["paper", "key"])
def test_page_is_offline_and_renders_math(browser: Any, pages: dict[str, Path], which: str) -> None:
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    console, requests = [], []
    page.on("console", lambda m: console.append(m) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: console.append(e))
    page.on("request", lambda r: requests.append(r.url))
    url = pages[which].as_uri()
    page.goto(url)
    page.wait_for_load_state("load")

    assert console == []
    assert requests == [url]
    assert page.locator("math").count() > 0
    widths = page.eval_on_selector_all(
        "math", "els => els.map(e => e.getBoundingClientRect().width)"
    )
    assert all(w > 0 for w in widths)
    # MathML is laid out as math (a fraction is taller than a line), not as plain inline text
    fraction = page.locator("mfrac").first.bounding_box()
    letter = page.locator("mi").first.bounding_box()
    assert fraction["height"] > 1.5 * letter["height"]
    assert page.locator("header").count() >= 1 and page.locator("main").count() == 1
    assert page.locator(".math-error").count() == 0

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{which}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("which", ["paper", "key"])
def test_print_layout_keeps_questions_whole(
    browser: Any, pages: dict[str, Path], which: str
) -> None:
    page = browser.new_page()
    page.goto(pages[which].as_uri())
    page.emulate_media(media="print")
    breaks = page.eval_on_selector_all(
        ".question, .part", "els => els.map(e => getComputedStyle(e).breakInside)"
    )
    assert breaks and set(breaks) == {"avoid"}
    starts = page.eval_on_selector_all(
        ".sheet-header, .key-paper", "els => els.map(e => getComputedStyle(e).breakBefore)"
    )
    assert starts and set(starts) == {"page"}
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.close()


def test_paper_options_are_visible_boxes(browser: Any, pages: dict[str, Path]) -> None:
    page = browser.new_page()
    page.goto(pages["paper"].as_uri())
    boxes = page.locator(".options .box")
    assert boxes.count() >= 6
    box = boxes.first.bounding_box()
    assert box["width"] > 8 and abs(box["width"] - box["height"]) < 1
    assert page.locator(".answer-box").first.bounding_box()["height"] > 150
    page.close()

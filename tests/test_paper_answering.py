"""Papers students can answer: ids and format hints, the embedded submission, and no leaks.

The browser side (inputs, saving, the download, grading it) is in tests/test_browser.py;
these tests read the rendered text.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from scrub import scrubbed

from quizgen.bank.model import load_bank
from quizgen.generate.exam import Student, build_exam, numbered_students
from quizgen.generate.write import write_exam
from quizgen.grade.submissions import template_for
from quizgen.render import get_renderer
from quizgen.render.html import HTML, answer_fields, script_json
from quizgen.render.markdown import MARKDOWN
from quizgen.render.templates import packaged_template_dir
from quizgen.render.views import answer_hint, paper_view
from quizgen.variant import (
    ChoiceKey,
    EssayKey,
    Exam,
    ExpressionKey,
    NumericKey,
    Paper,
    TextKey,
    TrueFalseKey,
    Variant,
)

ROOT = Path(__file__).resolve().parent.parent
TEST_BANK = ROOT / "tests" / "data" / "render-bank.yaml"
SHIPPED = sorted((ROOT / "banks").glob("*.yaml"))
ASSETS = ("style.css", "answer.css", "answer.js")
# Names of answer fields as they would appear in embedded data or markup.
MARKERS = ('"correct"', "correct=", 'class="correct"', '"solution"', '"rubric"', '"feedback"')
_SUBMISSION = re.compile(
    r'<script type="application/json" id="quizgen-submission" data-file="([^"]*)">(.*?)</script>',
    re.S,
)


@pytest.fixture(scope="module")
def exam() -> Exam:
    return build_exam([load_bank(TEST_BANK)], numbered_students(2), "7")


# --- ids and hints ---------------------------------------------------------------------------


def _tolerance() -> dict:
    return {"absolute": 0}


@pytest.mark.parametrize(
    ("key", "html_hint", "md_hint"),
    [
        (
            NumericKey(value="3", approx=3, display="3"),
            "A number, e.g. 1234, 1,234, −0.25 or 1.5e-3 (no calculations).",
            "A number, e.g. 1234, 1,234, −0.25 or 1.5e-3 (no calculations).",
        ),
        (
            NumericKey(
                value="3", approx=3, display="3", unit="kg", fractions=True, require_sigfigs=3
            ),
            "A number, e.g. 1234, 1,234, −0.25 or 1.5e-3 (no calculations); the unit (kg) may"
            " follow; a fraction such as 3/4 is accepted; give 3 significant figures.",
            "A number, e.g. 1234, 1,234, −0.25 or 1.5e-3 (no calculations); the unit (kg) may"
            " follow; a fraction such as 3/4 is accepted; give 3 significant figures.",
        ),
        (
            ExpressionKey(value="h*x", latex="h x", variables={"h": "real", "x": "real"}),
            "An expression in <code>h</code> and <code>x</code>: use * or put factors side by"
            " side (2h), ^ for powers.",
            r"An expression in `h` and `x`: use \* or put factors side by side (2h), ^ for"
            " powers.",
        ),
        (
            ExpressionKey(value="n", latex="n", variables={"n": "real", "h": "real", "x": "real"}),
            "An expression in <code>n</code>, <code>h</code> and <code>x</code>: use * or put"
            " factors side by side (2n), ^ for powers.",
            r"An expression in `n`, `h` and `x`: use \* or put factors side by side (2n), ^ for"
            " powers.",
        ),
        (ChoiceKey(kind="choice", options=[]), "Select one option.", "Select one option."),
        (
            ChoiceKey(kind="multi", options=[]),
            "Select every option that applies.",
            "Select every option that applies.",
        ),
        (TrueFalseKey(answer=True), "True or false.", "True or false."),
        (TextKey(answers=["x"]), "A short answer in words.", "A short answer in words."),
        (EssayKey(), "Free text, graded by hand.", "Free text, graded by hand."),
    ],
)
def test_one_line_hint_per_kind(key: object, html_hint: str, md_hint: str) -> None:
    assert answer_hint(key, HTML) == html_hint
    assert answer_hint(key, MARKDOWN) == md_hint


def test_unit_in_a_hint_is_escaped() -> None:
    key = NumericKey(value="3", approx=3, display="3", unit="<b>&")
    assert "(&lt;b&gt;&amp;)" in answer_hint(key, HTML)
    assert r"(\<b\>\&)" in answer_hint(key, MARKDOWN)


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_papers_show_every_question_and_part_id_and_a_hint(exam: Exam, fmt: str) -> None:
    paper = exam.papers[0]
    out = get_renderer(fmt).paper(exam, paper)
    ids = [(v.question_id, [p.id for p in v.parts]) for v in paper.variants]
    if fmt == "html":
        shown = re.findall(r'<span class="qid"[^>]*>([^<]*)</span>', out)
        expected = [x for qid, parts in ids for x in (qid, *parts)]
    else:
        shown = re.findall(r"^\*(?:Part i|I)d:\* `([^`]*)`$", out, re.M)
        expected = [x for qid, parts in ids for x in (qid, *parts)]
    assert shown == expected
    hints = re.findall(r'class="(?:hint|instruction)"' if fmt == "html" else r"^\*[A-Z]", out, re.M)
    slots = sum(len(v.gradable()) for v in paper.variants)
    assert len(hints) >= slots


# --- the submission the page saves ----------------------------------------------------------


def test_paper_embeds_the_template_generate_writes(exam: Exam, tmp_path: Path) -> None:
    written = write_exam(exam, tmp_path, [get_renderer("html")])
    assert written
    for paper in exam.papers:
        page = (tmp_path / "papers" / f"{paper.student_id}.html").read_text(encoding="utf-8")
        (found,) = _SUBMISSION.findall(page)
        name, data = found
        template = (tmp_path / "submissions" / f"{paper.student_id}.json").read_text("utf-8")
        assert name == f"{paper.student_id}.json"
        assert json.loads(data) == json.loads(template) == template_for(exam, paper)


def test_the_script_knows_every_answer_field_of_the_submission(exam: Exam) -> None:
    for paper in exam.papers:
        fields = answer_fields(paper_view(paper, HTML))
        template = template_for(exam, paper)["answers"]
        expected = [
            (qid, part) for qid, value in template.items() for part in (value or {"": None})
        ]
        assert [(f[1], f[2]) for f in fields] == expected
        page = get_renderer("html").paper(exam, paper)
        for slot, *_ in fields:
            assert page.count(f' id="a{slot}"') == 1
    numeric = next(f for f in fields if f[3] == "numeric")
    expression = next(f for f in fields if f[3] == "expression")
    assert numeric[4:] == ["parameters", False, []]
    assert expression[4:] == ["", False, ["x", "h"]]


def test_students_who_share_a_variant_share_its_view_and_memory_stays_bounded(exam: Exam) -> None:
    from quizgen.render import views

    first, second = exam.papers
    shared = [v for v in first.variants if any(v is w for w in second.variants)]
    assert shared  # choice questions without parameters: one Variant object for both
    a, b = paper_view(first, HTML), paper_view(second, HTML)
    for variant in shared:
        number = first.variants.index(variant)
        assert a.questions[number] is b.questions[number]
    copy = first.model_copy(deep=True)  # equal content, other objects: built again, equal
    assert paper_view(copy, HTML) == a
    for number in range(views._SHARED_SIZE + 10):
        views._shared_question(number, first.variants[0], HTML)
    assert len(views._SHARED) == views._SHARED_SIZE


def test_hostile_student_ids_stay_inert(tmp_path: Path) -> None:
    hostile = Student("</script><script>alert(1)</script>", name="<!-- x & \u2028 y")
    exam = build_exam([load_bank(TEST_BANK)], [hostile], "7")
    page = get_renderer("html").paper(exam, exam.papers[0])
    assert page.count("<script") == 3 and page.count("</script>") == 3
    (found,) = _SUBMISSION.findall(page)
    name, data = found
    assert json.loads(data)["student_id"] == hostile.id
    assert json.loads(data)["name"] == hostile.name
    assert name == "script_script_alert_1_script.json"


@pytest.mark.parametrize(
    "value", ["</script>", "<!--", "a & b", "\u2028", {"x": ["</SCRIPT >"]}, "plain"]
)
def test_script_json_round_trips_and_never_closes_the_script(value: object) -> None:
    text = str(script_json(value))
    assert "<" not in text and ">" not in text
    assert json.loads(text) == value


def test_answer_script_is_included_verbatim(exam: Exam) -> None:
    """answer.js goes through jinja's include: it must hold no jinja syntax to be kept as is."""
    page = get_renderer("html").paper(exam, exam.papers[0])
    for asset in ASSETS:
        source = (packaged_template_dir() / "html" / asset).read_text(encoding="utf-8")
        for delimiter in ("{{", "{%", "{#", "</script", "</style"):
            assert delimiter not in source, (asset, delimiter)
        assert source.rstrip("\n") in page


# --- nothing in a paper comes from an answer -------------------------------------------------


def _papers(bank: Path, count: int = 4) -> tuple[Exam, list[Paper]]:
    exam = build_exam([load_bank(bank)], numbered_students(count), "leak-scan")
    return exam, list(exam.papers)


def _secret_texts(variant: Variant) -> list[str]:
    """Every answer-side text: key values, displays, mistakes, feedback, rubrics, solutions."""
    texts = [variant.solution, *(p.solution for p in variant.parts)]
    for _, key, _ in variant.gradable():
        if isinstance(key, NumericKey):
            texts += [key.value, key.display]
            texts += [t for m in key.mistakes for t in (m.value, m.display, m.feedback)]
        elif isinstance(key, ExpressionKey):
            texts += [key.value, key.latex]
            texts += [t for m in key.mistakes for t in (m.value, m.display, m.feedback)]
        elif isinstance(key, ChoiceKey):
            texts += [o.feedback or "" for o in key.options]
        elif isinstance(key, TrueFalseKey):
            texts.append(key.feedback or "")
        elif isinstance(key, TextKey):
            texts += [*key.answers, key.regex or ""]
            texts += [t for m in key.mistakes for t in (m.answer, m.feedback)]
        elif isinstance(key, EssayKey):
            texts.append(key.rubric)
    return [t.strip() for t in texts if t and t.strip()]


def _public_texts(paper: Paper) -> str:
    """What a paper may show: the bank's public texts for this paper, with every id and name."""
    pieces = [paper.student_id, paper.name]
    for variant in paper.variants:
        pieces += [variant.question_id, variant.title or "", variant.prompt]
        for part in variant.parts:
            pieces += [part.id, part.prompt]
        for _, key, _ in variant.gradable():
            # The format hint is built from the kind and unit only (the scrub test below proves
            # no answer reaches it); its examples, such as -0.25, may equal an answer by chance.
            pieces += [answer_hint(key, MARKDOWN), answer_hint(key, HTML)]
            if isinstance(key, ChoiceKey):
                pieces += [f"{o.label}. {o.text}" for o in key.options]
            if isinstance(key, ExpressionKey):
                pieces += list(key.variables)
            if isinstance(key, NumericKey):
                pieces.append(key.unit or "")
    return "\n".join(pieces)


def _needles(secret: str) -> list[str]:
    """What to look for: a short secret whole, a long one as runs of five words."""
    words = secret.split()
    if len(words) <= 5:
        return [secret]
    return [" ".join(words[i : i + 5]) for i in range(len(words) - 4)]


def _occurs(needle: str, text: str) -> bool:
    """``needle`` as a whole token (not inside a longer number or word)."""
    if needle not in text:  # the common case, without a regex
        return False
    return re.search(rf"(?<![\w.]){re.escape(needle)}(?![\w]|\.\d)", text) is not None


def _without_assets(page: str) -> str:
    """The page minus the packaged stylesheets and script (fixed text, the same for all)."""
    for asset in ASSETS:
        page = page.replace((packaged_template_dir() / "html" / asset).read_text("utf-8"), "")
    return page


def _needles_to_check(paper: Paper) -> list[str]:
    """The paper's secrets that its public text does not also say (those cannot leak)."""
    public = _public_texts(paper)
    found = {
        needle
        for variant in paper.variants
        for secret in _secret_texts(variant)
        for needle in _needles(secret)
    }
    return sorted(n for n in found if len(n) >= 3 and not _occurs(n, public))


@pytest.mark.parametrize("bank", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_papers_of_the_shipped_banks_hold_no_answer_text(bank: Path) -> None:
    """Every key value and solution text, looked for in the whole file: markup, attributes,
    the embedded submission and all. Only what the bank's public text also says is allowed."""
    exam, papers = _papers(bank)
    checked = 0
    for paper in papers:
        needles = _needles_to_check(paper)
        for name in ("html", "md"):
            page = _without_assets(get_renderer(name).paper(exam, paper))
            for text in (page, html.unescape(page)):
                for marker in MARKERS:
                    assert marker not in text, (paper.student_id, name, marker)
                leaks = [n for n in needles if _occurs(n, text)]
                assert leaks == [], (paper.student_id, name)
            checked += len(needles)
    assert checked > 50


@pytest.mark.parametrize("bank", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_papers_of_the_shipped_banks_do_not_depend_on_any_answer(bank: Path) -> None:
    """Change every answer, flag, feedback, rubric and solution: the papers stay byte-identical
    (so nothing derived from an answer, not even a hash, is in them)."""
    exam, papers = _papers(bank, count=3)
    for name in ("html", "md"):
        renderer = get_renderer(name)
        for paper in papers:
            assert renderer.paper(exam, scrubbed(paper)) == renderer.paper(exam, paper)

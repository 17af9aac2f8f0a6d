"""Renderers: safe Markdown and math, the registry, template overrides, and no answer leaks."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrub import scrubbed

from quizgen.bank.model import load_bank
from quizgen.errors import UsageError
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.render import RENDERERS, get_renderer
from quizgen.render import mathtext as mdmath
from quizgen.render.markdown import md_code, md_escape
from quizgen.render.mathml import math_to_mathml
from quizgen.render.mathtext import markdown_to_html
from quizgen.render.templates import packaged_template_dir, template_environment
from quizgen.render.views import points_text, tolerance_text
from quizgen.templating import TemplateError
from quizgen.variant import (
    ChoiceKey,
    EssayKey,
    Exam,
    ExpressionKey,
    NumericKey,
    TextKey,
    TrueFalseKey,
    Variant,
)

ROOT = Path(__file__).resolve().parent.parent
TEST_BANK = ROOT / "tests" / "data" / "render-bank.yaml"
BANKS = [
    pytest.param(TEST_BANK, id="render-bank"),
    pytest.param(
        ROOT / "banks" / "rnn-lstm.yaml",
        id="rnn-lstm",
        marks=pytest.mark.skipif(
            not (ROOT / "banks" / "rnn-lstm.yaml").exists(), reason="banks/rnn-lstm.yaml missing"
        ),
    ),
]
FORMATS = sorted(RENDERERS)


@pytest.fixture(scope="module")
def exam() -> Exam:
    return build_exam([load_bank(TEST_BANK)], numbered_students(3), "7")


# --- Markdown and math -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src="x" onerror="alert(1)">', "<img"),
        ("[x](javascript:alert(1))", "href"),
        ("[x](JaVaScRiPt:alert(1))", "href"),
        ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href"),
        ("[x](vbscript:msgbox)", "href"),
        ("[x](/relative/path)", "href"),
        ("<javascript:alert(1)>", "href"),
        ("![pixel](http://example.com/p.png)", "<img"),
        (r"$\text{<script>alert(1)</script>}$", "<script"),
        (r"$\href{javascript:alert(1)}{x}$", "href"),
        (r"$\style{background:url(http://e.com/x)}{y}$", "style"),
        (r"$\color{red" " onmouseover=" "alert(1)}{x}$", "onmouseover"),
    ],
)
def test_markdown_is_safe(markdown: str, forbidden: str) -> None:
    assert forbidden not in markdown_to_html(markdown).lower()


def test_raw_html_comes_out_escaped() -> None:
    out = markdown_to_html("Hi <script>alert(1)</script> & <b>bold</b>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;b&gt;" in out


@pytest.mark.parametrize(
    "url", ["http://example.com/a", "https://example.com/a?b=1", "mailto:someone@example.com"]
)
def test_safe_links_stay_links(url: str) -> None:
    assert f'<a href="{html.escape(url)}">' in markdown_to_html(f"[x]({url})")


@pytest.mark.parametrize(
    ("markdown", "inline_math", "block_math"),
    [
        ("so $x^2 = 3$.", 1, 0),
        ("$a$ and $b$", 2, 0),
        ("$x$ is 5", 1, 0),  # the dollarmath plugin missed this one (it read src[-1])
        ("$h$ × 12", 1, 0),
        ("text\n\n$$\n\\frac{a}{b}\n$$\n\nmore", 0, 1),
        ("inline $$\\sum_i x_i$$ display", 0, 1),
        ("costs $5 and $6 today", 0, 0),  # pandoc's rule: no digit after the closing $
        ("a $ x $ b", 0, 0),  # pandoc's rule: no space inside the dollars
        (r"escaped \$x\$ here", 0, 0),
        ("`$x$` is code", 0, 0),
    ],
)
def test_math_becomes_mathml(markdown: str, inline_math: int, block_math: int) -> None:
    out = markdown_to_html(markdown)
    assert out.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">') == (
        inline_math
    )
    assert out.count('display="block"') == block_math


@pytest.mark.parametrize("tex", [r"\frac{a}{", r"\left(", r"\begin{nothing}", "\\sqrt"])
def test_bad_tex_falls_back_to_escaped_code(tex: str) -> None:
    out = math_to_mathml(tex)
    assert out.startswith('<code class="math-error"')
    assert html.escape(tex) in out


def test_macro_definitions_are_refused() -> None:
    bomb = r"\newcommand{\a}{xxxxxxxxxx}\newcommand{\b}{\a\a\a\a\a\a\a\a\a\a}\b"
    assert math_to_mathml(bomb).startswith('<code class="math-error"')


def test_mathml_is_display_or_inline() -> None:
    assert 'display="block"' in math_to_mathml("x", display=True)
    assert 'display="inline"' in math_to_mathml("x")
    assert "<mfrac>" in math_to_mathml(r"\frac{a}{b}")


def test_mathml_text_is_escaped_once() -> None:
    out = math_to_mathml(r"a < b \le c")
    assert "<mo>&lt;</mo>" in out
    assert "≤" in out


def _parsed_directly(text: str, inline: bool, math: str = "mathml") -> str:
    """markdown_to_html without the digit-skeleton cache: one parse of the text itself."""
    style = mdmath.MATH_STYLES[math]
    return style.finish(mdmath._parse(style.prepare(text), inline, math))


_MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            *"ab 0123456789$*_`\\\n.-#>()^{}=+|",
            "1. ",
            "\n\n",
            "$$",
            "```",
            "    ",
            "\\frac",
            "x_",
            "\n2) ",
            "\n- ",
            "\t",
            "[",
            "&",
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_MARKDOWNISH, inline=st.booleans(), math=st.sampled_from(sorted(mdmath.MATH_STYLES)))
def test_digit_skeleton_renders_like_a_direct_parse(text: str, inline: bool, math: str) -> None:
    assert markdown_to_html(text, inline=inline, math=math) == _parsed_directly(text, inline, math)


@pytest.mark.parametrize(
    "text",
    [
        "1. one\n2. two",  # "0." could not interrupt a paragraph, "1." can
        "text\n1. item",
        "3. starts at three",
        "```py3\ncode 1\n```",
        "<http://example.com/1>",
        "[1](http://example.com/2)",
        "&#49; is one",
        "$x^{12}$ and $\\frac12$ are 12",
    ],
)
@pytest.mark.parametrize("math", ["mathml", "tex"])
def test_digits_that_matter_are_kept(text: str, math: str) -> None:
    assert markdown_to_html(text, math=math) == _parsed_directly(text, False, math)


@pytest.mark.parametrize(
    ("markdown", "mathml", "tex"),
    [
        (
            "$x$",
            '<p><math xmlns="{ns}" display="inline"><mrow><mi>x</mi></mrow></math></p>',
            "<p>\\(x\\)</p>",
        ),
        (
            "a $$x$$ b",
            '<p>a <math xmlns="{ns}" display="block"><mrow><mi>x</mi></mrow></math> b</p>',
            "<p>a \\[x\\] b</p>",
        ),
        (
            "$$\nx\n$$",
            '<math xmlns="{ns}" display="block"><mrow><mi>x</mi></mrow></math>',
            "<p>\\[x\\]</p>",
        ),
        (
            "$a<b$",
            '<p><math xmlns="{ns}" display="inline"><mrow><mi>a</mi><mo>&lt;</mo><mi>b</mi></mrow>'
            "</math></p>",
            "<p>\\(a&lt;b\\)</p>",
        ),
    ],
)
def test_math_styles_differ_only_in_the_math(markdown: str, mathml: str, tex: str) -> None:
    from quizgen.render.mathml import MATHML_NS

    assert markdown_to_html(markdown) == mathml.format(ns=MATHML_NS)
    assert markdown_to_html(markdown, math="tex") == tex


def test_both_math_styles_share_the_link_and_html_policy() -> None:
    text = "[a](javascript:x) [b](https://e.org) <b>c</b> ![d](http://e.org/d.png)"
    outputs = {markdown_to_html(text, math=m) for m in mdmath.MATH_STYLES}
    assert outputs == {
        '<p>[a](javascript:x) <a href="https://e.org">b</a> &lt;b&gt;c&lt;/b&gt; '
        '!<a href="http://e.org/d.png">d</a></p>'
    }


def test_unknown_math_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown math style 'svg'"):
        markdown_to_html("x", math="svg")  # type: ignore[arg-type]


def test_use_dollar_math_gives_other_parsers_the_same_rules() -> None:
    from markdown_it import MarkdownIt

    md = mdmath.use_dollar_math(MarkdownIt("commonmark"))
    tokens = md.parseInline("$x$ is 5 and $5 is money")[0].children
    assert [t.content for t in tokens if t.type == "math_inline"] == ["x"]


def test_private_use_markers_in_bank_text_are_neutralized() -> None:
    assert markdown_to_html("a \ue000Ix\ue001 b") == "<p>a \ufffdIx\ufffd b</p>"


def test_inline_markdown_has_no_paragraph() -> None:
    assert markdown_to_html("*LSTM* cell", inline=True) == "<em>LSTM</em> cell"


# --- registry and templates --------------------------------------------------------------------


def test_registry_lists_html_and_md() -> None:
    assert {"html", "md"} <= set(RENDERERS)
    for name in RENDERERS:
        renderer = get_renderer(name)
        assert renderer.name == name
        assert renderer.extension == f".{name}"


def test_unknown_renderer_lists_valid_names() -> None:
    with pytest.raises(UsageError) as info:
        get_renderer("pdf")
    message = str(info.value)
    assert "pdf" in message
    for name in RENDERERS:
        assert name in message


def test_missing_template_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="template folder"):
        get_renderer("html", tmp_path / "nowhere")


def test_packaged_templates_exist() -> None:
    folder = packaged_template_dir()
    for name in ("html/paper.html.j2", "html/key.html.j2", "html/style.css"):
        assert (folder / name).is_file()
    for name in ("md/paper.md.j2", "md/key.md.j2"):
        assert (folder / name).is_file()


@pytest.mark.parametrize("layout", ["flat", "by-kind"])
def test_user_template_overrides_packaged_one(exam: Exam, tmp_path: Path, layout: str) -> None:
    folder = tmp_path if layout == "flat" else tmp_path / "html"
    folder.mkdir(exist_ok=True)
    (folder / "paper.html.j2").write_text(
        "CUSTOM {{ paper.student_id }} {{ exam.title }}", encoding="utf-8"
    )
    renderer = get_renderer("html", tmp_path)
    assert renderer.paper(exam, exam.papers[0]) == "CUSTOM s001 Rendering &lt;test&gt; &amp; checks"
    assert renderer.key(exam).startswith("<!DOCTYPE html>")  # not overridden: packaged one


def test_user_stylesheet_alone_overrides(exam: Exam, tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("body { color: rebeccapurple; }", encoding="utf-8")
    out = get_renderer("html", tmp_path).paper(exam, exam.papers[0])
    assert "rebeccapurple" in out
    assert "break-inside" not in out


def test_autoescape_follows_output_type(tmp_path: Path) -> None:
    (tmp_path / "a.html.j2").write_text("{{ v }}", encoding="utf-8")
    (tmp_path / "a.md.j2").write_text("{{ v }}", encoding="utf-8")
    (tmp_path / "a.xml.j2").write_text("{{ v }}", encoding="utf-8")
    env = template_environment("anything", tmp_path)
    assert env.get_template("a.html.j2").render(v="<b>") == "&lt;b&gt;"
    assert env.get_template("a.xml.j2").render(v="<b>") == "&lt;b&gt;"
    assert env.get_template("a.md.j2").render(v="<b>") == "<b>"


def test_templates_are_strict(tmp_path: Path) -> None:
    (tmp_path / "a.md.j2").write_text("{{ missing }}", encoding="utf-8")
    expected = r"a\.md\.j2:1: template failed: 'missing' is undefined"
    with pytest.raises(TemplateError, match=expected):
        template_environment("md", tmp_path).get_template("a.md.j2").render()


# --- the output itself ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_rendering_is_reproducible(exam: Exam, fmt: str) -> None:
    again = build_exam([load_bank(TEST_BANK)], numbered_students(3), "7")
    renderer = get_renderer(fmt)
    for a, b in zip(exam.papers, again.papers, strict=True):
        assert renderer.paper(exam, a) == renderer.paper(again, b)
        assert renderer.paper(exam, a) == get_renderer(fmt).paper(exam, a)
    assert renderer.key(exam) == renderer.key(again)


def test_html_paper_is_a_self_contained_document(exam: Exam) -> None:
    out = get_renderer("html").paper(exam, exam.papers[1])
    assert out.startswith("<!DOCTYPE html>\n<html lang=")
    for needle in ('<meta charset="utf-8">', "<title>", "<header", "<main>", "@media print"):
        assert needle in out
    for needle in ("<link", "<img", "src=", "url(", "@import", "<iframe"):
        assert needle not in out
    # Three scripts, all inline: the empty submission and the answer fields (JSON), and the
    # packaged answer.js; the page's security policy forbids every connection.
    assert out.count("<script") == 3
    assert '<script type="application/json" id="quizgen-submission"' in out
    assert "default-src 'none'" in out and "connect-src" not in out
    assert out.count('<li class="question') == len(exam.papers[1].variants)
    assert "<math" in out
    assert "&lt;script&gt;" in out  # the hostile prompt, escaped
    assert "s002" in out and "Paper</dt><dd>2" in out
    assert f"Exam</dt><dd>{exam.fingerprint}" in out and "Seed" not in out  # the seed is secret


def test_html_paper_shows_options_and_parts(exam: Exam) -> None:
    out = get_renderer("html").paper(exam, exam.papers[0])
    assert '<fieldset class="options single"' in out
    assert '<fieldset class="options multi"' in out
    assert '<textarea class="answer-box"' in out  # essay
    assert '<span class="unit">parameters</span>' in out
    assert '<span class="number">(a)</span>' in out and '<span class="number">(b)</span>' in out
    assert "[a link](javascript:alert(1))" in out  # the option text, not a link


def test_markdown_paper_is_pandoc_markdown(exam: Exam) -> None:
    out = get_renderer("md").paper(exam, exam.papers[0])
    assert out.startswith('---\ntitle: "Rendering \\\\<test\\\\> \\\\& checks"\n')
    assert "\n---\n" in out
    assert "## Question 1: Dense layer parameters (2 points)" in out
    assert r"$x \in \mathbb{R}^" in out  # math passes through for pandoc
    assert "- [ ] **A.**" in out and "- ( ) **A.**" in out


def test_key_has_every_answer_and_solution(exam: Exam) -> None:
    html_key = get_renderer("html").key(exam)
    md_key = get_renderer("md").key(exam)
    for paper in exam.papers:
        assert f"Paper {paper.number}" in html_key and f"Paper {paper.number}" in md_key
        for variant in paper.variants:
            for part_id, key, _ in variant.gradable():
                for needle in _key_needles(key):
                    assert needle in md_key, (variant.question_id, part_id, needle)
    assert html_key.count("SOLUTION-NUM") == len(exam.papers)
    assert html_key.count("SOLUTION-PART-B") == len(exam.papers)
    assert "RUBRIC-ESSAY" in html_key and "MISTAKE-NUM" in html_key
    assert html_key.count('<li class="correct">') == len(exam.papers) * 3  # 1 choice + 2 multi
    assert "<math" in html_key


def _key_needles(key: object) -> list[str]:
    if isinstance(key, NumericKey):
        return [key.display]
    if isinstance(key, ExpressionKey):
        return [key.latex]
    if isinstance(key, ChoiceKey):
        return [f"{o.label}. {o.text}" for o in key.options if o.correct]
    if isinstance(key, TrueFalseKey):
        return ["True" if key.answer else "False"]
    if isinstance(key, TextKey):
        return key.answers
    if isinstance(key, EssayKey):
        return [key.rubric]
    return []


@pytest.mark.parametrize(
    ("points", "text"), [(1, "1 point"), (1.0, "1 point"), (2, "2 points"), (1.5, "1.5 points")]
)
def test_points_text(points: float, text: str) -> None:
    assert points_text(points) == text


@pytest.mark.parametrize(
    ("tolerance", "text"),
    [
        ({"absolute": 0}, "exact"),
        ({"absolute": 0.01}, "± 0.01"),
        ({"relative": 0.01}, "± 1 %"),
        ({"sigfigs": 3}, "3 significant figures"),
        ({"absolute": 1, "relative": 0.05}, "± 1 or ± 5 %"),
    ],
)
def test_tolerance_text(tolerance: dict, text: str) -> None:
    from quizgen.bank.model import Tolerance

    assert tolerance_text(Tolerance(**tolerance)) == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("Ada O'Brien", "Ada O'Brien"), ("a_b*c", r"a\_b\*c"), ("[x](y)", r"\[x\](y)")],
)
def test_md_escape(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped


@pytest.mark.parametrize(
    ("text", "code"), [("a|b", "`a|b`"), ("a`b", "``a`b``"), ("`x`", "`` `x` ``")]
)
def test_md_code(text: str, code: str) -> None:
    assert md_code(text) == code


# --- no answer leaks ------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\S+")


def _visible(text: str, fmt: str) -> str:
    """The text a reader sees, whitespace collapsed (tags dropped for HTML)."""
    if fmt == "html":
        text = html.unescape(_TAG.sub(" ", text))
    return " ".join(text.split())


def _plain(markdown: str, fmt: str) -> str:
    """Bank Markdown as it would appear in a rendered paper of this format."""
    return _visible(markdown_to_html(markdown) if fmt == "html" else markdown, fmt)


def _secrets(variant: Variant) -> list[str]:
    """Markdown texts that only the key may contain."""
    texts = [variant.solution] + [p.solution for p in variant.parts]
    for _, key, _ in variant.gradable():
        if isinstance(key, (NumericKey, ExpressionKey, TextKey)):
            texts += [m.feedback for m in key.mistakes]
        if isinstance(key, ChoiceKey):
            texts += [o.feedback or "" for o in key.options]
        if isinstance(key, TrueFalseKey):
            texts.append(key.feedback or "")
        if isinstance(key, EssayKey):
            texts.append(key.rubric)
    return [t for t in texts if t.strip()]


def _distinctive_phrases(secret: str, public: str, fmt: str, size: int = 5) -> list[str]:
    """Runs of ``size`` words of the secret that the public paper does not contain."""
    words = _WORD.findall(_plain(secret, fmt))
    size = min(size, len(words))
    runs = {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    return sorted(r for r in runs if r not in public and len(r) >= 12)


def _answer_values(variant: Variant) -> list[str]:
    values = []
    for _, key, _ in variant.gradable():
        if isinstance(key, NumericKey):
            values += [key.display] + [m.display for m in key.mistakes]
    return values


def _standalone(value: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w]|\.\d)", text) is not None


@pytest.mark.parametrize("bank", BANKS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_papers_leak_no_answer(bank: Path, fmt: str) -> None:
    exam = build_exam([load_bank(bank)], numbered_students(6), "leak-check")
    renderer = get_renderer(fmt)
    checked_phrases = checked_values = 0
    for paper in exam.papers:
        raw = renderer.paper(exam, paper)
        shown = _visible(raw, fmt)
        # What a student may see: the same paper with every answer, solution and feedback
        # replaced (so prompts, option texts, numbering and points stay).
        public = _visible(renderer.paper(exam, scrubbed(paper, "LEAK")), fmt)
        assert "LEAK" not in public
        for marker in ('class="correct"', "✓", "[x]", "Solution", "Rubric", "Known mistake"):
            assert marker not in raw
        for variant in paper.variants:
            for secret in _secrets(variant):
                for phrase in _distinctive_phrases(secret, public, fmt):
                    assert phrase not in shown, (paper.student_id, variant.question_id, phrase)
                    checked_phrases += 1
            for value in _answer_values(variant):
                if not _standalone(value, public):
                    assert not _standalone(value, shown), (variant.question_id, value)
                    checked_values += 1
    assert checked_phrases > 20 and checked_values > 3  # the test did look at something


@pytest.mark.parametrize("fmt", FORMATS)
def test_paper_depends_on_public_fields_only(exam: Exam, fmt: str) -> None:
    """Changing every answer, solution, feedback and rubric leaves the paper byte-identical."""
    renderer = get_renderer(fmt)
    for paper in exam.papers:
        assert renderer.paper(exam, scrubbed(paper, "LEAK")) == renderer.paper(exam, paper)


@pytest.mark.parametrize("fmt", FORMATS)
def test_issue_14_an_edited_variant_with_the_same_uid_is_not_shown_stale(
    exam: Exam, fmt: str
) -> None:
    """Question views (and their markup) are shared by variant uid; a variant whose text
    changed since, as in a preview of an edited bank (same values, so the same uid), must be
    rendered afresh, on the paper and in the key, and the original again after it."""
    renderer = get_renderer(fmt)
    paper = exam.papers[0]
    paper_before, key_before = renderer.paper(exam, paper), renderer.key(exam)
    edited = paper.model_copy(
        update={
            "variants": [
                v.model_copy(update={"prompt": f"{v.prompt} EDITED", "solution": "NEWSOLUTION"})
                for v in paper.variants
            ]
        }
    )
    assert [v.uid for v in edited.variants] == [v.uid for v in paper.variants]
    count = len(paper.variants)
    assert renderer.paper(exam, edited).count("EDITED") == count
    key = renderer.key(exam.model_copy(update={"papers": [edited]}))
    assert key.count("EDITED") == count and key.count("NEWSOLUTION") == count
    assert renderer.paper(exam, paper) == paper_before
    assert renderer.key(exam) == key_before

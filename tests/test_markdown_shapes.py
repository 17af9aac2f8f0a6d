"""Markdown by text shape: every text renders as markdown-it renders it directly, byte for byte.

The oracle is markdown-it itself: quizgen's parser (the same rules and link policy) run on the
text, with no cache and no shape. Texts are rendered in pairs that share a shape, with the
caches emptied first, so the second text is served by the first one's parse.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.render import get_renderer, mdshape, views
from quizgen.render import mathtext as mdmath

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "banks").glob("*.yaml")) + sorted((ROOT / "tests/data").glob("*.yaml"))
STYLES = sorted(mdmath.MATH_STYLES)


def _direct(text: str, inline: bool, math: str) -> str:
    """The oracle: markdown-it's own rendering of the text itself (then the math style)."""
    style = mdmath.MATH_STYLES[math]
    md = mdmath._parser(math)
    source = style.prepare(text)
    return style.finish((md.renderInline(source) if inline else md.render(source)).strip())


def _shared(texts: list[str], inline: bool, math: str) -> list[str]:
    """The texts rendered one after the other from empty caches, as a run renders them."""
    mdmath.clear_caches()
    return [mdmath.markdown_to_html(text, inline=inline, math=math) for text in texts]


def _naive(text: str, inline: bool, math: str) -> str:
    """What sharing the shape's parse with no guard and no check would write (for the table:
    it shows that each guarded text is one where sharing would go wrong)."""
    pieces = mdshape.split(text)
    style = mdmath.MATH_STYLES[math]
    html = mdmath._render(style.prepare(mdshape.shape(pieces)), inline, math)
    cut = mdshape._cut(html)
    assert cut is not None
    if len(cut[0]) != len(pieces) // 2 + 1:
        return "<the shape's parse does not write each number once>"
    return style.finish(mdshape.fill(pieces, cut[0]))


# ---- the pieces of a text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers", "skeleton"),
    [
        ("$g = (2.5, -4.5)$", ["2.5", "-4.5"], "$g = (0, 0)$"),
        ("total 8,404,992 and 1,5", ["8,404,992", "1,5"], "total 0 and 0"),
        ("x-1 and 3-2", ["1", "3", "2"], "x-0 and 0-0"),  # a minus after a letter or digit
        ("*-5* $-5$ \\-5 _-5", ["5", "5", "5", "5"], "*-0* $-0$ \\-0 _-0"),
        ("[-5] {-5} =-5 ,-5\n-5", ["-5"] * 5, "[0] {0} =0 ,0\n0"),
        ("1.5. and 3.", ["1.5", "3"], "0. and 0."),
        ("no numbers", [], "no numbers"),
    ],
)
def test_a_text_is_cut_at_its_numbers(text: str, numbers: list[str], skeleton: str) -> None:
    pieces = mdshape.split(text)
    assert pieces[1::2] == numbers
    assert mdshape.shape(pieces) == skeleton
    assert "".join(pieces) == text


# ---- the guards, one by one ----------------------------------------------------------------

_GUARDED = [
    # A list numbered 1 interrupts a paragraph; the shape's 0 (and any other number) cannot.
    ("text\n1. item", "text\n2. item"),
    ("text\n01) item", "text\n7) item"),
    ("> quote\n> 1. item", "> quote\n> 5. item"),
    ("- a\n  b\n  1. c", "- a\n  b\n  4. c"),
    ("text\r1. item", "text\r3. item"),  # markdown-it reads a lone CR as a line break
    # Character references read their digits.
    ("&#49; is one", "&#50; is two"),
    ("&#x31; and &#X4A;", "&#x32; and &#X4B;"),
    ("&frac12; of &sup2;", "&frac34; of &sup3;"),
    ("&#12345678; is too long", "&#1; is not"),
    # Autolinks: the digits go into href, and the scheme and domain labels have length limits.
    ("<http://example.com/1>", "<http://example.com/22>"),
    (
        "<a@b" + "x" * 40 + "1.5" + "x" * 40 + ".org>",
        "<a@b" + "x" * 40 + "7" + "x" * 40 + ".org>",
    ),  # 1.5 joins two labels
    ("<x" + "1" * 40 + ":y>", "<x1:y>"),
]


@pytest.mark.parametrize(("first", "second"), _GUARDED)
@pytest.mark.parametrize("math", STYLES)
def test_guarded_texts_render_as_directly(first: str, second: str, math: str) -> None:
    for inline in (False, True):
        expected = [_direct(first, inline, math), _direct(second, inline, math)]
        assert _shared([first, second], inline, math) == expected
        assert _shared([second, first], inline, math) == expected[::-1]


def test_each_guard_is_needed() -> None:
    # Without its guard, sharing the shape would write another HTML than the direct parse.
    for first, second in [
        ("text\n1. item", "text\n2. item"),
        ("&frac12; of", "&frac34; of"),
        (
            "<a@b" + "x" * 40 + "1.5" + "x" * 40 + ".org>",
            "<a@b" + "x" * 40 + "7" + "x" * 40 + ".org>",
        ),
    ]:
        assert mdshape.shape(mdshape.split(first)) == mdshape.shape(mdshape.split(second))
        assert _naive(first, False, "tex") != _direct(first, False, "tex"), first


_REFUSED_BY_THE_CUT = [
    "[a](http://e.org/1) b 2",  # a number copied into href
    '[a](http://e.org "t 1") 2',  # into a title
    "```py3\nx = 1\n```",  # into a code block's language
    "``` a 12\nx\n```",  # the words after the language are dropped
    "[r1]: http://e.org\n\n[r1] 5",  # a reference definition's label is dropped
    "[r2]\n\n[r1]: http://e.org",  # r1 and r2 have one shape: only one is defined
    "3. starts at three\n4. then four",  # a list takes its numbers out of the text
    "1234567890. is no list marker; 0. is",
]


@pytest.mark.parametrize("text", _REFUSED_BY_THE_CUT)
@pytest.mark.parametrize("math", STYLES)
def test_texts_whose_numbers_move_render_as_directly(text: str, math: str) -> None:
    other = "".join(
        (piece if index % 2 == 0 else piece[:-1] + str((int(piece[-1]) + 1) % 10))
        for index, piece in enumerate(mdshape.split(text))
    )
    for inline in (False, True):
        expected = [_direct(text, inline, math), _direct(other, inline, math)]
        assert _shared([text, other], inline, math) == expected
    skeleton = mdmath.MATH_STYLES[math].prepare(mdshape.shape(mdshape.split(text)))
    assert mdmath._slots(skeleton, False, math) is None


def test_a_shape_that_writes_its_numbers_back_is_shared() -> None:
    # Without this, every test above could pass with every text parsed directly.
    texts = [
        "A gradient $g = (2.5, -4.5)$ is clipped to $[-5, 5]$: `clip_value=5` & **8,404,992**",
        "A gradient $g = (-1, 3)$ is clipped to $[-10, 10]$: `clip_value=10` & **12**",
    ]
    assert _shared(texts, False, "mathml") == [_direct(t, False, "mathml") for t in texts]
    assert mdmath._slots.cache_info().misses == 1  # one shape, parsed once
    assert mdmath._parse.cache_info().misses == 0  # no text parsed directly


def test_a_heading_level_is_the_one_digit_a_tag_may_hold() -> None:
    texts = ["# 1 heading 2\n\n###### 3", "# 4 heading 5\n\n###### 6"]
    assert _shared(texts, False, "tex") == [_direct(t, False, "tex") for t in texts]
    assert mdmath._parse.cache_info().misses == 0


def test_a_prime_in_math_does_not_stop_sharing() -> None:
    texts = ["$f'(2) = 3$ and $\\tanh'$", "$f'(7) = -1$ and $\\tanh'$"]
    assert _shared(texts, False, "mathml") == [_direct(t, False, "mathml") for t in texts]
    assert mdmath._parse.cache_info().misses == 0


# ---- any text ------------------------------------------------------------------------------

_SLOT = object()
_RISKY = st.sampled_from(
    [
        *"ab xy\n.,=-+*_`$\\()[]{}<>&#;:@!|'\"\t\r",
        _SLOT,
        _SLOT,
        _SLOT,
        "\n\n",
        "1. ",
        "1) ",
        "2. ",
        "- ",
        "> ",
        "    ",
        "```",
        "$$",
        "&#",
        "&#x",
        "&frac",
        "&sup",
        "<http://",
        "<a@b",
        "](",
        "]: ",
        '"t ',
        "# ",
        "\\frac",
        "x_",
        "e-",
    ]
)
_NUMBER = st.one_of(
    st.integers(0, 10**12).map(str),
    st.integers(-99, 99).map(str),
    st.decimals("-1000", "1000", places=2).map(str),
    st.sampled_from(["1", "01", "007", "1,024", "8,404,992", "1.5.3", "1234567890", "12345678"]),
)


@st.composite
def _texts_of_one_template(draw: st.DrawFn) -> list[str]:
    template = draw(st.lists(_RISKY, max_size=24))
    slots = sum(piece is _SLOT for piece in template)
    texts = []
    for _ in range(3):
        numbers = iter(draw(st.lists(_NUMBER, min_size=slots, max_size=slots)))
        texts.append("".join(next(numbers) if p is _SLOT else p for p in template))
    return texts


@settings(max_examples=1500, deadline=None)
@given(texts=_texts_of_one_template(), inline=st.booleans(), math=st.sampled_from(STYLES))
def test_any_text_renders_as_directly(texts: list[str], inline: bool, math: str) -> None:
    assert _shared(texts, inline, math) == [_direct(t, inline, math) for t in texts]


# ---- every text of every shipped bank ------------------------------------------------------


@pytest.mark.parametrize("bank", SHIPPED, ids=[b.stem for b in SHIPPED])
def test_every_text_of_a_shipped_bank_renders_as_directly(
    bank: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: set[tuple[str, bool]] = set()
    render = mdmath._markdown.__wrapped__

    def spy(text: str, inline: bool, math: str) -> str:
        seen.add((text, inline))
        return render(text, inline, math)

    monkeypatch.setattr(mdmath, "_markdown", spy)
    # Views already built for these variants (by an earlier test) would hide their texts.
    monkeypatch.setattr(views, "_SHARED", OrderedDict())
    exam = build_exam([load_bank(bank)], numbered_students(30), "7")
    renderer = get_renderer("html")
    renderer.key(exam)
    monkeypatch.undo()
    assert seen
    for math in STYLES:
        mdmath.clear_caches()
        for text, inline in sorted(seen):
            assert render(text, inline, math) == _direct(text, inline, math), text
    shared = mdmath._slots.cache_info()
    assert shared.hits > 0 or len(seen) < 60, "no text shared a shape"

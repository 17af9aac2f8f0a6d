"""``{% cached %}`` blocks of output templates: the same pages as without the tag.

The oracle throughout is the same template with the tag's two lines taken out, rendered by
jinja as any instructor's override is: a cached block must never change a page, only how
often its body runs. A key that leaves out one of the block's inputs must give wrong pages
(shown below by breaking the key on purpose), and inputs that cannot be keyed are rendered
each time.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from markupsafe import Markup

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.render import fragments, get_renderer
from quizgen.render.fragments import FragmentCache, block_inputs
from quizgen.render.html import HTML
from quizgen.render.markdown import MARKDOWN
from quizgen.render.templates import packaged_template_dir, template_environment
from quizgen.render.views import key_paper_view, paper_view
from quizgen.templating import TemplateError
from quizgen.variant import Exam

ROOT = Path(__file__).resolve().parent.parent
RENDER_BANK = ROOT / "tests" / "data" / "render-bank.yaml"
TAG_LINE = re.compile(r"^\{% (?:end)?cached %\}\n", re.MULTILINE)
PAGES = ["html/paper.html.j2", "html/key.html.j2", "md/paper.md.j2", "md/key.md.j2"]


@pytest.fixture(scope="module")
def exam() -> Exam:
    """40 students of a small bank: many share a variant, so blocks are reused."""
    return build_exam([load_bank(RENDER_BANK)], numbered_students(40), "fragments")


def _untagged(folder: Path) -> Path:
    """The packaged page templates with the ``{% cached %}`` lines taken out."""
    for name in PAGES:
        source = (packaged_template_dir() / name).read_text(encoding="utf-8")
        assert TAG_LINE.search(source), f"{name} has no cached block"
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(TAG_LINE.sub("", source), encoding="utf-8")
    return folder


def _pages(exam: Exam, templates: Path | None) -> list[str]:
    """Every paper in both formats, then each format's key, twice over (the second time
    every block has been seen)."""
    pages = []
    for _ in range(2):
        for name in ("html", "md"):
            renderer = get_renderer(name, templates)
            pages += [renderer.paper(exam, paper) for paper in exam.papers]
            pages.append(renderer.key(exam))
    return pages


def _extension(env: object) -> FragmentCache:
    found = [e for e in env.extensions.values() if isinstance(e, FragmentCache)]  # type: ignore[attr-defined]
    assert len(found) == 1
    return found[0]


def _clear(*kinds: str) -> None:
    for kind in kinds:
        for _, _, entries in _extension(template_environment(kind)).blocks.values():
            entries.clear()


def test_packaged_pages_are_those_of_the_templates_without_the_tag(
    exam: Exam, tmp_path: Path
) -> None:
    _clear("html", "md")
    cached = _pages(exam, None)
    plain = _pages(exam, _untagged(tmp_path))
    assert cached == plain
    # not vacuous: the blocks were reused (fewer entries than questions shown)
    shown = sum(len(p.variants) for p in exam.papers)
    for kind in ("html", "md"):
        sizes = [len(b[2]) for b in _extension(template_environment(kind)).blocks.values()]
        assert sizes and all(0 < size < shown for size in sizes)


def test_every_packaged_page_reads_only_the_question_in_its_block() -> None:
    """The key of each packaged block: the question (and, in the HTML paper, the name the
    block sets on one path only, read from outside on the others)."""
    for kind in ("html", "md"):
        env = template_environment(kind)
        get_renderer(kind)  # the Markdown filters are added by the renderer
        for name in ("paper", "key"):
            env.get_template(f"{name}.{kind}.j2")
        inputs = {b[0] for b in _extension(env).blocks.values()}
        allowed = {("q",), ("input", "q"), ("q", "range")}
        assert inputs and inputs <= allowed


def test_a_key_without_one_input_gives_wrong_pages(
    exam: Exam, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above catches a wrong key: leave the question out, and pages go wrong."""
    plain = _pages(exam, _untagged(tmp_path))
    _clear("html", "md")
    real = FragmentCache.key

    def without_last(self, names, makers, values, autoescape):  # type: ignore[no-untyped-def]
        return real(self, names[:-1], makers[:-1], values[:-1], autoescape)

    monkeypatch.setattr(FragmentCache, "key", without_last)
    broken = _pages(exam, None)
    _clear("html", "md")
    assert broken != plain
    assert sum(a != b for a, b in zip(broken, plain, strict=True)) > len(plain) // 2


def _render(tmp_path: Path, source: str, **context: object) -> tuple[str, str, FragmentCache]:
    """``source`` rendered twice with the tag, and once without it (the oracle)."""
    folder = tmp_path / f"t{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "page.html.j2").write_text(source, encoding="utf-8")
    (folder / "plain.html.j2").write_text(TAG_LINE.sub("", source), encoding="utf-8")
    env = template_environment("html", folder)
    page = env.get_template("page.html.j2")
    first, second = page.render(**context), page.render(**context)
    assert first == second
    return first, env.get_template("plain.html.j2").render(**context), _extension(env)


LOOP = "{% for q in qs %}\n{% cached %}\n[BODY]\n{% endcached %}\n{% endfor %}\n"


@pytest.mark.parametrize(
    ("body", "qs"),
    [
        ("{{ q }}", ["a", Markup("a"), "<b>", Markup("<b>"), "a"]),  # a str and Markup differ
        ("{{ q }}", [1, True, 1, 0, False, None]),  # 1 == True, but they print differently
        ("{{ q }}", [0.0, -0.0, 0.0]),  # equal floats that print differently: never keyed
        ("{{ q }}", [("a", 1), ("a", True), ["a"], ["a"]]),  # a list is never keyed
        ("{{ q.label }}{{ loop.index }}", ["x", "y"]),  # the outer loop: never keyed
        ("{% set n = q ~ '!' %}{{ n }}{% if n %}{% set m = 1 %}{% endif %}", ["a", "b", "a"]),
        ("{% if q %}{% set x = q %}{% endif %}{{ x is defined }}{{ x | default('-') }}", ["", "k"]),
        ("{% for i in range(q) %}{{ i }}{% endfor %}", [2, 3, 2]),
        ("{{ q | random }}", [[1], [1]]),  # random: the block is never remembered
    ],
)
def test_a_block_prints_what_its_body_prints(tmp_path: Path, body: str, qs: list) -> None:
    source = LOOP.replace("[BODY]", body)
    if "loop.index" in body:
        source = source.replace("q.label", "q")
    cached, plain, _ = _render(tmp_path, source, qs=qs)
    assert cached == plain


def test_names_set_in_a_block_stay_in_it(tmp_path: Path) -> None:
    source = (
        "{% set x = 'outer' %}\n{% cached %}\n{% set x = 'inner' %}{{ x }}\n"
        "{% endcached %}\n{{ x }}\n"
    )
    cached, _, _ = _render(tmp_path, source)
    assert cached == "inner\nouter\n"


def test_an_outer_name_is_part_of_the_key(tmp_path: Path) -> None:
    source = "{% for q in qs %}\n{% cached %}\n{{ q }}{{ sep }}\n{% endcached %}\n{% endfor %}\n"
    folder = tmp_path / "o"
    folder.mkdir()
    (folder / "page.html.j2").write_text(source, encoding="utf-8")
    page = template_environment("html", folder).get_template("page.html.j2")
    assert page.render(qs=["a", "a"], sep=",") == "a,\na,\n"
    assert page.render(qs=["a", "a"], sep=";") == "a;\na;\n"


@pytest.mark.parametrize(
    "body",
    [
        "{% include 'style.css' %}",
        "{{ q | random }}",
        "{{ lipsum(1) }}",
        "{% import 'style.css' as s %}",
    ],
)
def test_blocks_whose_output_may_change_are_never_remembered(body: str) -> None:
    env = template_environment("html")
    nodes = env.parse("{% for q in qs %}{% cached %}" + body + "{% endcached %}{% endfor %}")
    inner = nodes.body[0].body[0]  # the for loop's body: the block, compiled as a scope
    assert type(inner).__name__ == "Scope"
    assert block_inputs(inner.body, env) is None


def test_a_block_keeps_at_most_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragments, "BLOCK_SIZE", 5)
    cached, plain, extension = _render(tmp_path, LOOP.replace("[BODY]", "{{ q }}"), qs=range(50))
    assert cached == plain
    assert [len(b[2]) for b in extension.blocks.values()] == [5]


def test_a_failing_block_names_its_file_and_line(tmp_path: Path) -> None:
    source = "{% for q in qs %}\n{% cached %}\n{{ q.missing }}\n{% endcached %}\n{% endfor %}\n"
    (tmp_path / "bad.html.j2").write_text(source, encoding="utf-8")
    env = template_environment("html", tmp_path)
    with pytest.raises(TemplateError, match=r"bad\.html\.j2:3: template failed"):
        env.get_template("bad.html.j2").render(qs=[{}])


def test_an_edited_copy_of_a_packaged_template_renders_as_jinja_would(
    exam: Exam, tmp_path: Path
) -> None:
    """An instructor copies the packaged paper, keeps the tag and edits a line in the block."""
    source = (packaged_template_dir() / "html" / "paper.html.j2").read_text(encoding="utf-8")
    edited = source.replace('<div class="prompt">', '<div class="prompt mine">', 1)
    assert edited != source
    copies = ((tmp_path / "tag", edited), (tmp_path / "plain", TAG_LINE.sub("", edited)))
    for folder, text in copies:
        (folder / "html").mkdir(parents=True)
        (folder / "html" / "paper.html.j2").write_text(text, encoding="utf-8")
    pages = {
        name: [get_renderer("html", tmp_path / name).paper(exam, p) for p in exam.papers]
        for name in ("tag", "plain")
    }
    assert pages["tag"] == pages["plain"]
    assert all('<div class="prompt mine">' in page for page in pages["tag"])


def _plain_or_frozen(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_plain_or_frozen(v) for v in value)
    if type(value) in fragments._FROZEN:
        return all(_plain_or_frozen(getattr(value, f.name)) for f in dataclasses.fields(value))
    return type(value) in (str, Markup, int, bool, float, type(None))


def test_views_keyed_by_identity_are_frozen_all_the_way_down(exam: Exam) -> None:
    for cls in fragments._FROZEN:
        assert dataclasses.is_dataclass(cls)
        assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert not hasattr(cls, "__dict__") or "__slots__" in vars(cls)
    views = [paper_view(p, fmt) for p in exam.papers for fmt in (HTML, MARKDOWN)]
    views += [key_paper_view(p, fmt) for p in exam.papers for fmt in (HTML, MARKDOWN)]
    assert all(_plain_or_frozen(v) for v in views)


def test_the_packaged_templates_keep_their_cached_blocks(tmp_path: Path) -> None:
    """Copying the packaged folder keeps the tag (the documented way to start an override)."""
    shutil.copytree(packaged_template_dir(), tmp_path / "copy")
    for name in PAGES:
        assert "{% cached %}" in (tmp_path / "copy" / name).read_text(encoding="utf-8")

"""The template factories: the sandbox for code nobody reviewed, a plain environment for ours.

An instructor's override folder is code nobody reviewed: it renders in the same sandbox as
bank text (the packaged templates its files include, and that include its files, with it),
and a template that breaks out of it, or simply fails, stops the command with
``file:line: template failed: …`` and exit code 2, never a traceback. The packaged templates
alone render outside the sandbox, to the same bytes, and still fail with file and line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.render import get_renderer
from quizgen.render.templates import packaged_template_dir, template_environment
from quizgen.templating import TemplateError, compile_text

ROOT = Path(__file__).resolve().parent.parent
RENDER_BANK = ROOT / "tests" / "data" / "render-bank.yaml"
EXPORT_BANK = ROOT / "tests" / "data" / "export-bank.yaml"
CONSOLE_SCRIPT = Path(sys.executable).parent / "quizgen"

# (template line, what the error must say): each would reach Python internals unsandboxed.
ESCAPES = [
    ("{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    ("{{ exam.__init__.__globals__ }}", "access to attribute '__init__'"),
    ("{{ ().__class__.__base__.__subclasses__() }}", "access to attribute '__class__'"),
    ("{% set xs = [] %}{{ xs.append(1) }}", "access to attribute 'append' of 'list'"),
    ("{{ lipsum.__globals__['os'] }}", "access to attribute '__globals__'"),
]


def _quizgen(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, importing this checkout."""
    if not CONSOLE_SCRIPT.exists():
        pytest.skip(f"no console script at {CONSOLE_SCRIPT} (install it: pip install -e .)")
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )


def _folder(tmp_path: Path, name: str, body: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(f"harmless first line\n{body}\n", encoding="utf-8")
    return folder


# --- in process ------------------------------------------------------------------------------


def test_syntax_error_in_an_override_names_file_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "paper.md.j2", "{{ oops }")
    with pytest.raises(TemplateError, match=r"paper\.md\.j2:2: template failed: unexpected '}'"):
        template_environment("md", folder).get_template("paper.md.j2")


def test_include_of_a_missing_template_is_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "paper.md.j2", '{% include "nowhere.j2" %}')
    template = template_environment("md", folder).get_template("paper.md.j2")
    with pytest.raises(TemplateError, match=r"no template named 'nowhere\.j2'"):
        template.render()


# (kind, file): a packaged template's name overridden, and a name of the folder's own.
OVERRIDES = [("md", "paper.md.j2")] + [
    (kind, "probe.txt.j2")
    for kind in ["html", "md", "feedback", "canvas", "moodle", "qti21", "report"]
]


@pytest.mark.parametrize(("kind", "name"), OVERRIDES)
@pytest.mark.parametrize(("line", "needle"), ESCAPES)
def test_override_templates_of_every_kind_cannot_reach_python_internals(
    tmp_path: Path, kind: str, name: str, line: str, needle: str
) -> None:
    folder = _folder(tmp_path, name, line)
    template = template_environment(kind, folder).get_template(name)
    with pytest.raises(TemplateError) as caught:
        template.render(exam={"title": "T"})
    message = str(caught.value)
    assert message.startswith(f"{folder / name}:2: template failed: ")
    assert needle in message
    assert "hint: templates are presentation only" in message


def test_an_override_included_by_a_packaged_page_is_sandboxed(tmp_path: Path) -> None:
    """Overriding only ``style.css``: the packaged paper includes it, in the sandbox."""
    exam = build_exam([load_bank(RENDER_BANK)], numbered_students(1), "1")
    folder = _folder(tmp_path, "style.css", "{{ ''.__class__.__mro__ }}")
    renderer = get_renderer("html", folder)
    with pytest.raises(TemplateError) as caught:
        renderer.paper(exam, exam.papers[0])
    assert str(caught.value).startswith(f"{folder / 'style.css'}:2: template failed: ")
    assert "access to attribute '__class__' of 'str' object is unsafe" in str(caught.value)


def test_a_packaged_template_read_through_an_override_folder_is_sandboxed(
    tmp_path: Path,
) -> None:
    """A packaged template the folder does not override is compiled and run by the sandbox
    that runs the folder's own files (so it is what they include or extend)."""
    folder = _folder(tmp_path, "other.md.j2", "{% include 'paper.md.j2' %}")
    get_renderer("md", folder)  # adds the Markdown filters the packaged paper uses
    packaged = template_environment("md", folder).get_template("paper.md.j2")
    assert packaged.filename == str(packaged_template_dir() / "md" / "paper.md.j2")
    with pytest.raises(TemplateError, match="access to attribute '__class__' of 'str'"):
        packaged.environment.from_string("{{ ''.__class__ }}").render()
    # The packaged templates alone are ours, outside the sandbox: never give that
    # environment a source nobody reviewed.
    ours = template_environment("md").from_string("{{ ''.__class__ }}").render()
    assert ours == "&lt;class &#39;str&#39;&gt;"  # from_string escapes: no name, no type


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_packaged_templates_render_the_same_bytes_in_and_out_of_the_sandbox(
    tmp_path: Path, fmt: str
) -> None:
    """An empty override folder puts the same packaged templates in the sandbox: the oracle."""
    exam = build_exam([load_bank(RENDER_BANK)], numbered_students(3), "5")
    empty = tmp_path / "empty"
    empty.mkdir()
    plain, sandboxed = get_renderer(fmt), get_renderer(fmt, empty)
    for paper in exam.papers:
        assert plain.paper(exam, paper) == sandboxed.paper(exam, paper)
    assert plain.key(exam) == sandboxed.key(exam)


def test_packaged_feedback_pages_are_the_same_bytes_in_and_out_of_the_sandbox(
    tmp_path: Path,
) -> None:
    """Feedback of an answered paper (right, wrong and blank answers) with the packaged
    templates alone, and with them in the sandbox (an empty override folder)."""
    from quizgen.grade.pipeline import grade_exam
    from quizgen.grade.submissions import Submission, template_for
    from quizgen.render.feedback import feedback_files

    exam = build_exam([load_bank(RENDER_BANK)], numbered_students(2), "5")
    empty = tmp_path / "empty"
    empty.mkdir()
    for paper in exam.papers:
        answers = template_for(exam, paper)["answers"]
        first = next(iter(answers))
        answers[first] = "1" if answers[first] is None else dict.fromkeys(answers[first], "1")
        submission = Submission(student_id=paper.student_id, answers=answers)
        student = grade_exam(exam, [submission]).students[paper.number - 1]
        assert student.student_id == paper.student_id
        plain = feedback_files(exam, paper, student)
        sandboxed = feedback_files(exam, paper, student, templates=empty)
        assert set(plain) == {".md", ".html"}
        assert plain == sandboxed


def test_a_packaged_template_that_fails_names_its_file_and_line() -> None:
    get_renderer("md")  # adds the Markdown filters the packaged paper uses
    template = template_environment("md").get_template("paper.md.j2")
    with pytest.raises(TemplateError) as caught:
        template.render()  # no values at all: the first one it prints is undefined
    message = str(caught.value)
    assert re.match(
        rf"{re.escape(str(packaged_template_dir() / 'md' / 'paper.md.j2'))}:\d+: "
        r"template failed: '\w+' is undefined",
        message,
    ), message
    assert "hint: the values each template receives are listed in docs/rendering.md" in message


def test_a_reviewed_template_with_a_syntax_error_names_its_file_and_line(tmp_path: Path) -> None:
    from quizgen.templating import reviewed_environment

    (tmp_path / "a.md.j2").write_text("fine\n{{ oops }", encoding="utf-8")
    (tmp_path / "c.md.j2").write_text('fine\n{% include "b.md.j2" %}', encoding="utf-8")
    env = reviewed_environment(loader=jinja2.FileSystemLoader(str(tmp_path)))
    with pytest.raises(TemplateError, match=r"a\.md\.j2:2: template failed: unexpected '}'"):
        env.get_template("a.md.j2")
    with pytest.raises(TemplateError, match=r"c\.md\.j2:2: template failed: no template named 'b"):
        env.get_template("c.md.j2").render()


def test_bank_text_keeps_jinja_errors_for_the_bank_loader() -> None:
    """Bank text has no file of its own: the loader locates its errors in the YAML."""
    with pytest.raises(jinja2.TemplateSyntaxError):
        compile_text("{{ oops }")
    with pytest.raises(jinja2.exceptions.SecurityError):
        compile_text("{{ ''.__class__ }}").render()


# --- autoescaping in page templates: jinja's output, whatever the value -----------------------


class _Shown:
    """An object that says how it is shown in HTML (as a view may)."""

    def __html__(self) -> str:
        return "<em>shown</em>"

    def __str__(self) -> str:
        return "<never printed>"


class _LoudMarkup(Markup):
    """A Markup subclass: printed as its own ``__html__`` says."""

    def __html__(self) -> Markup:
        return Markup("<loud/>")


PRINTED = [
    pytest.param("plain", id="str"),
    pytest.param("<script>alert('x')</script> & \"q\"", id="str-specials"),
    pytest.param("", id="empty"),
    pytest.param(Markup("<math><mn>2</mn></math>"), id="markup"),
    pytest.param(Markup(""), id="empty-markup"),
    pytest.param(_LoudMarkup("ignored"), id="markup-subclass"),
    pytest.param(_Shown(), id="has-__html__"),
    pytest.param(42, id="int"),
    pytest.param(-0.5, id="float"),
    pytest.param(None, id="none"),
    pytest.param(True, id="bool"),
    pytest.param(("<a>", 1), id="tuple"),
]
PAGE = "<p>{{ value }}</p>{{ value ~ '<b>' }}{% set joined = 'a' ~ value %}{{ joined }}"


def _plain_jinja(source: str, **values: object) -> str:
    """The oracle: jinja's own unsandboxed environment, autoescaping."""
    return jinja2.Environment(autoescape=True).from_string(source).render(**values)


@pytest.mark.parametrize("value", PRINTED)
def test_page_templates_escape_every_value_as_jinja_does(value: object) -> None:
    page = template_environment("html").from_string(PAGE)
    assert page.render(value=value) == _plain_jinja(PAGE, value=value)


def test_page_templates_escape_hostile_text() -> None:
    page = template_environment("html").from_string("<p>{{ value }}</p>")
    out = page.render(value="<script>alert(1)</script>")
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_page_templates_escape_many_distinct_strings_and_repeats_alike() -> None:
    """More distinct strings than the escapes remembered, each printed twice, apart."""
    source = "{% for v in values %}{{ v }}|{% endfor %}{% for v in values %}{{ v }}|{% endfor %}"
    values = [f"<{i}> & '{i}'" for i in range(10_000)]
    page = template_environment("html").from_string(source)
    assert page.render(values=values) == _plain_jinja(source, values=values)


@given(st.text())
def test_page_templates_escape_any_text_as_jinja_does(text: str) -> None:
    page = template_environment("html").from_string(PAGE)
    assert page.render(value=text) == _plain_jinja(PAGE, value=text)
    assert page.render(value=Markup(text)) == _plain_jinja(PAGE, value=Markup(text))


# --- page templates' contexts: jinja's globals, flattened at each render -----------------------

GLOBALS_PAGE = (
    "{% for i in range(3) %}{{ i }}{{ cycle.next() }}{% endfor %}"
    "{% set ns = namespace(n=0) %}{% set ns.n = ns.n + 2 %}{{ ns.n }}"
    "{{ dict(a=1)['a'] }}|{{ title }}|{{ extra | default('none') }}"
)


def _page_loader(tmp_path: Path) -> jinja2.FileSystemLoader:
    (tmp_path / "page.html.j2").write_text(GLOBALS_PAGE, encoding="utf-8")
    (tmp_path / "macros.html.j2").write_text(
        "{% macro shout(x) %}<b>{{ x }}</b>{{ title }}{% endmacro %}", encoding="utf-8"
    )
    (tmp_path / "uses.html.j2").write_text(
        '{% from "macros.html.j2" import shout with context %}{{ shout(title) }}'
        '{% include "page.html.j2" %}',
        encoding="utf-8",
    )
    return jinja2.FileSystemLoader(str(tmp_path))


@pytest.mark.parametrize("name", ["page.html.j2", "uses.html.j2"])
def test_page_templates_see_globals_as_jinja_does(tmp_path: Path, name: str) -> None:
    """Template globals (which hide the environment's of the same name), environment
    globals, and the values given (which hide both), through an include and an import:
    what plain jinja renders."""
    from quizgen.templating import sandboxed_environment

    ours = sandboxed_environment(loader=_page_loader(tmp_path), autoescape=True)
    oracle = jinja2.Environment(loader=_page_loader(tmp_path), autoescape=True)
    for env in (ours, oracle):
        env.globals.update(title="<env title>", extra="the environment's")
    mine = {"cycle": jinja2.utils.Cycler("x", "y"), "extra": "the template's"}
    theirs = {"cycle": jinja2.utils.Cycler("x", "y"), "extra": "the template's"}
    page = ours.get_template(name, globals=mine)
    expected = oracle.get_template(name, globals=theirs)
    assert page.render() == expected.render()
    assert page.render(title="<given>") == expected.render(title="<given>")


def test_page_templates_see_a_global_added_after_the_first_render(tmp_path: Path) -> None:
    from quizgen.templating import sandboxed_environment

    env = sandboxed_environment(loader=_page_loader(tmp_path), autoescape=True)
    page = env.get_template("page.html.j2", globals={"cycle": jinja2.utils.Cycler("x")})
    env.globals["title"] = "first"
    assert page.render().endswith("|first|none")
    env.globals["extra"] = "later"
    assert page.render().endswith("|first|later")


# --- through the real console script ----------------------------------------------------------


@pytest.mark.parametrize(("line", "needle"), ESCAPES[:2])
def test_generate_refuses_an_escaping_override_without_a_traceback(
    tmp_path: Path, line: str, needle: str
) -> None:
    folder = _folder(tmp_path, "paper.html.j2", line)
    out = tmp_path / "exam"
    result = _quizgen(
        "generate", RENDER_BANK, "--count", "1", "--seed", "1", "--out", out,
        "--format", "html", "--templates", folder,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"paper.html.j2:2: template failed: {needle}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    leaked = [p for p in out.rglob("*.html") if "<class" in p.read_text(encoding="utf-8")]
    assert leaked == []


def test_export_refuses_an_escaping_override_without_a_traceback(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "quiz.xml.j2", "{{ ''.__class__.__mro__ }}")
    out = tmp_path / "quiz.xml"
    result = _quizgen(
        "export", EXPORT_BANK, "--to", "moodle", "--variants", "1", "--seed", "1",
        "--out", out, "--templates", folder, "--no-check",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "quiz.xml.j2:2: template failed: access to attribute '__class__'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists()

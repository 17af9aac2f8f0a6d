"""The one sandboxed template factory: output templates and bank text share its rules.

An instructor's override folder is code nobody reviewed: it renders in the same sandbox as
bank text, and a template that breaks out of it, or simply fails, stops the command with
``file:line: template failed: …`` and exit code 2, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from quizgen.render.templates import template_environment
from quizgen.templating import TemplateError, bank_environment, compile_text

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


@pytest.mark.parametrize(("line", "needle"), ESCAPES)
def test_override_template_cannot_reach_python_internals(
    tmp_path: Path, line: str, needle: str
) -> None:
    folder = _folder(tmp_path, "paper.md.j2", line)
    template = template_environment("md", folder).get_template("paper.md.j2")
    with pytest.raises(TemplateError) as caught:
        template.render(exam={"title": "T"})
    message = str(caught.value)
    assert message.startswith(f"{folder / 'paper.md.j2'}:2: template failed: ")
    assert needle in message
    assert "hint: templates are presentation only" in message


def test_syntax_error_in_an_override_names_file_and_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "paper.md.j2", "{{ oops }")
    with pytest.raises(TemplateError, match=r"paper\.md\.j2:2: template failed: unexpected '}'"):
        template_environment("md", folder).get_template("paper.md.j2")


def test_include_of_a_missing_template_is_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "paper.md.j2", '{% include "nowhere.j2" %}')
    template = template_environment("md", folder).get_template("paper.md.j2")
    with pytest.raises(TemplateError, match=r"no template named 'nowhere\.j2'"):
        template.render()


@pytest.mark.parametrize("kind", ["html", "md", "feedback", "canvas", "moodle", "qti21"])
def test_output_and_bank_environments_share_one_sandbox(kind: str) -> None:
    output = template_environment(kind)
    assert type(output) is type(bank_environment())
    assert isinstance(output, jinja2.sandbox.ImmutableSandboxedEnvironment)
    assert output.undefined is jinja2.StrictUndefined


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

"""Import boundaries of the package, read from the source with ``ast`` (docs/architecture.md).

Every ``import`` and ``from … import`` counts, wherever it is written (module level, inside a
function, under ``if TYPE_CHECKING``), since a lazy import is still a dependency. The rules:

- ``grade`` never imports ``generate``, ``render`` or ``export`` (grading reads the frozen key);
- ``lms`` (the way back from an LMS) never imports ``generate`` or ``render`` (it grades the
  frozen variants of the manifest; feedback rendering is passed in), and only the CLI
  imports ``lms`` (nothing of the forward path depends on the way back);
- ``math`` imports nothing of quizgen but ``quizgen.errors`` (both sides share it);
- no cycle between modules;
- only the CLI (``cli``, ``__main__``) imports ``quizgen.cli``;
- only the terminal edge (the CLI and the tutor's screen: ``practice.terminal``,
  ``practice.views``, ``practice.text``) imports typer or rich, and nothing outside that edge
  imports the tutor's screen modules.

The last tests plant each violation in a throwaway package, to show the checker catches it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI_MODULES = {"cli", "__main__"}
TERMINAL_MODULES = CLI_MODULES | {"practice.terminal", "practice.views", "practice.text"}
CLI_LIBRARIES = {"typer", "rich"}


@dataclass(frozen=True)
class Import:
    """One import statement: the importing module, what it names, and where."""

    module: str
    target: str
    line: int


def module_files(package_dir: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package."""
    files = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _imported_names(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names one import statement names (relative imports resolved); for
    ``from a import b`` both ``a.b`` and ``a``, since ``b`` may be a module or a name."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parent = module.split(".") if is_package else module.split(".")[:-1]
            anchor = parent[: len(parent) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        for alias in node.names:
            yield f"{base}.{alias.name}|{base}"


def _resolve(name: str, modules: dict[str, Path]) -> str:
    """The module of the package that ``name`` is or lies in; other names as written."""
    candidates = name.split("|")
    for candidate in candidates:
        while candidate and candidate not in modules:
            candidate = candidate.rpartition(".")[0]
        if candidate:
            return candidate
    return candidates[-1]


def imports_of(package_dir: Path) -> list[Import]:
    """Every import written in the package, as (module, imported module, line)."""
    modules = module_files(package_dir)
    found = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for name in _imported_names(node, module, is_package):
                found.append(Import(module, _resolve(name, modules), node.lineno))
    return found


def module_graph(package_dir: Path) -> dict[str, dict[str, int]]:
    """module -> {module of the same package it imports: line of the first such import}."""
    graph: dict[str, dict[str, int]] = {m: {} for m in module_files(package_dir)}
    for imp in imports_of(package_dir):
        if imp.target in graph and imp.target != imp.module:
            graph[imp.module].setdefault(imp.target, imp.line)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Import cycles, each as a path back to its start (a module already in a reported
    cycle starts no other)."""
    found, done = [], set()
    for start in sorted(graph):
        if start in done:
            continue
        path = _path_back(graph, start)
        if path:
            found.append(path)
            done.update(path)
    return found


def _path_back(graph: dict[str, dict[str, int]], start: str) -> list[str] | None:
    """A shortest path of imports from ``start`` back to itself, or None."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target in sorted(graph[module]):
                if target == start:
                    path = [module]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if target not in previous:
                    previous[target] = module
                    following.append(target)
        frontier = following
    return None


def _within(module: str, package: str, group: str) -> bool:
    prefix = f"{package}.{group}"
    return module == prefix or module.startswith(prefix + ".")


def violations(package_dir: Path) -> list[str]:
    """Every broken import rule of the package in ``package_dir``, one message each."""
    package = package_dir.name
    problems = []
    for imp in imports_of(package_dir):
        where = f"{imp.module} (line {imp.line}) imports {imp.target}"
        if _within(imp.module, package, "grade") and any(
            _within(imp.target, package, g) for g in ("generate", "render", "export")
        ):
            problems.append(f"{where}: grade never imports generate, render or export")
        if _within(imp.module, package, "lms") and any(
            _within(imp.target, package, g) for g in ("generate", "render")
        ):
            problems.append(f"{where}: lms never imports generate or render")
        if (
            _within(imp.target, package, "lms")
            and not _within(imp.module, package, "lms")
            and imp.module.split(".", 1)[-1] not in CLI_MODULES
        ):
            problems.append(f"{where}: only the CLI imports lms")
        if (
            _within(imp.module, package, "math")
            and imp.target.split(".")[0] == package
            and imp.target != package + ".errors"
            and not _within(imp.target, package, "math")
        ):
            problems.append(f"{where}: math imports nothing of {package} but {package}.errors")
        local = imp.module.split(".", 1)[-1]
        if _within(imp.target, package, "cli") and local not in CLI_MODULES:
            problems.append(f"{where}: only the CLI imports the CLI")
        if imp.target.split(".")[0] in CLI_LIBRARIES and local not in TERMINAL_MODULES:
            problems.append(f"{where}: only the CLI and the tutor's screen import typer or rich")
        screen = {f"{package}.{m}" for m in TERMINAL_MODULES - CLI_MODULES}
        if imp.target in screen and local not in TERMINAL_MODULES:
            problems.append(f"{where}: only the terminal edge imports the tutor's screen")
    for cycle in cycles(module_graph(package_dir)):
        problems.append("import cycle: " + " -> ".join(cycle))
    return problems


# --- the package -------------------------------------------------------------------------------


def test_quizgen_keeps_its_import_rules() -> None:
    problems = violations(ROOT / "quizgen")
    assert not problems, "\n".join(problems)


def test_the_checker_sees_the_whole_package() -> None:
    """A checker that read nothing would pass: it must see the modules and their imports."""
    graph = module_graph(ROOT / "quizgen")
    assert {"quizgen.cli", "quizgen.grade.checkers", "quizgen.math.parse"} <= set(graph)
    assert "quizgen.generate.params" in graph["quizgen.generate.compile"]
    assert "quizgen.generate.compile" in graph["quizgen.generate.solve"]
    assert "quizgen.errors" in graph["quizgen.math.parse"]


# --- the checker, on planted violations ----------------------------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    """A throwaway package ``pkg`` under ``root`` with these files (and their __init__s)."""
    package = root / "pkg"
    for name, text in {"__init__.py": "", "errors.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in path.relative_to(package).parents:
            (package / folder / "__init__.py").touch()
        path.write_text(text, encoding="utf-8")
    return package


CLEAN = {
    "cli.py": "import typer\nfrom pkg.generate import solve\n",
    "__main__.py": "from pkg.cli import main\n",
    "math/parse.py": "from pkg.errors import MathError\nfrom . import tokens\n",
    "math/tokens.py": "from ..errors import MathError\n",
    "generate/solve.py": "from pkg.math import parse\nfrom pkg.grade import checkers\n",
    "grade/checkers.py": "from pkg.math.parse import parse\n",
    "lms/regrade.py": "from pkg.grade import checkers\nfrom pkg.export import base\n",
    "export/base.py": "",
}

PLANTED = [
    (
        "grade-imports-generate",
        {"grade/checkers.py": "def check():\n    from pkg.generate.solve import solve\n"},
        "pkg.grade.checkers (line 2) imports pkg.generate.solve: grade never imports",
    ),
    (
        "grade-imports-render-relatively",
        {"grade/checkers.py": "from ..render import html\n", "render/html.py": ""},
        "pkg.grade.checkers (line 1) imports pkg.render.html: grade never imports",
    ),
    (
        "math-imports-the-bank",
        {"math/tokens.py": "import pkg.bank.model\n", "bank/model.py": ""},
        "pkg.math.tokens (line 1) imports pkg.bank.model: math imports nothing of pkg",
    ),
    (
        "math-imports-generate-lazily",
        {"math/parse.py": "if True:\n    def f():\n        from pkg.generate import solve\n"},
        "pkg.math.parse (line 3) imports pkg.generate.solve: math imports nothing of pkg",
    ),
    (
        "cycle",
        {"generate/solve.py": "from pkg.generate import compile\n",
         "generate/compile.py": "def f():\n    from pkg.generate.solve import x\n"},
        "import cycle: pkg.generate.compile -> pkg.generate.solve -> pkg.generate.compile",
    ),
    (
        "core-imports-the-cli",
        {"generate/solve.py": "from pkg import cli\n"},
        "pkg.generate.solve (line 1) imports pkg.cli: only the CLI imports",
    ),
    (
        "lms-imports-render",
        {"lms/regrade.py": "def f():\n    from pkg.render import feedback\n",
         "render/feedback.py": ""},
        "pkg.lms.regrade (line 2) imports pkg.render.feedback: lms never imports",
    ),
    (
        "export-imports-lms",
        {"export/base.py": "from pkg.lms import regrade\n"},
        "pkg.export.base (line 1) imports pkg.lms.regrade: only the CLI imports lms",
    ),
    (
        "core-imports-rich",
        {"grade/checkers.py": "from rich.console import Console\n"},
        "pkg.grade.checkers (line 1) imports rich.console: only the CLI and the tutor's screen",
    ),
]  # fmt: skip


def test_the_checker_passes_a_clean_package(tmp_path: Path) -> None:
    assert violations(_package(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(("name", "files", "expected"), PLANTED, ids=[p[0] for p in PLANTED])
def test_the_checker_catches_a_planted_violation(
    tmp_path: Path, name: str, files: dict[str, str], expected: str
) -> None:
    problems = violations(_package(tmp_path, {**CLEAN, **files}))
    assert any(expected in p for p in problems), "\n".join(problems)

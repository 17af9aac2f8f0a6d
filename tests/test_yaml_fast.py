"""Banks read through libyaml (C) give exactly what PyYAML's Python parser gives.

The oracle is the Python path (`_load_in_python`), the one every bank error message is
written and tested against; libyaml only ever speaks for texts both parsers accept.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank import yamlsrc
from quizgen.errors import BankError
from quizgen.inputs import MAX_DEPTH

ROOT = Path(__file__).resolve().parents[1]
YAML_FILES = sorted(
    p for folder in ("banks", "bench", "tests", "docs") for p in (ROOT / folder).rglob("*.yaml")
)


def _seen(located: yamlsrc.Located) -> tuple:
    return located.data, located.positions, [str(e) for e in located.errors]


def _fast(text: str) -> tuple:
    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML was built without libyaml: only the Python parser runs")
    located = yamlsrc._load_with_libyaml(text, "bank.yaml")
    assert located is not None, "the text should have been read by libyaml"
    return _seen(located)


def _python(text: str) -> tuple:
    return _seen(yamlsrc._load_in_python(text, "bank.yaml"))


@pytest.mark.parametrize("path", YAML_FILES, ids=[str(p.relative_to(ROOT)) for p in YAML_FILES])
def test_every_yaml_file_of_the_project_reads_the_same(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert _fast(text) == _python(text)


VALID = [
    "title: é—ü ✓ 😀\nprompt: {{ x }}\n",  # a braces value after wide characters: cut by index
    "a: 1\na: 2\n",  # a duplicate key, recorded
    "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n",  # a merge key, recorded
    "a: !custom 3\nb: !!python/object:os.system ls\n",  # unknown tags, recorded
    "a: 1\r\nb: two\r\n",
    "\ufeffa: 1\n",
    "",
    "# only a comment\n",
    "a: 1e5\nb: 0x1F\nc: 0o17\nd: .inf\ne: ~\nf: yes\ng: 2001-12-14\nh: 1_000\n",
    "? complex key\n: v\nkey with spaces: value\n",
    "a: |\n  line1\n   line2\n\n  line3\nb: >\n  folded\n  text\n\n  para\n",
    "a: \"x\\u00e9\\t\"\nb: 'it''s'\n",
    "- a\n- b: 1\n  c: 2\n- [1, [2, [3]]]\n",
    "%YAML 1.1\n---\na: 1\n",
    "a: 1 # c\nb:   \n",
    f"a: {'1' * 40}\n",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_texts_read_the_same(text: str) -> None:
    assert _fast(text) == _python(text)


INVALID = [
    "prompt: {{ x }} and more\n",
    "a: 1\n---\nb: 2\n",
    "a:\n\t- 1\n",
    "a: [1, 2\n",
    "a: 'unterminated\n",
    "a: b: c\n",
    'a: "\\q"\n',
    "a: *nope\n",
    "a: x\x85y\n",
    "a: \x07\n",
    'a: "\\ud83d"\n',  # a lone surrogate: PyYAML reads it, libyaml refuses it
    f"a: {'1' * 5000}\n",  # a number too long, refused by the builder on either path
]


@pytest.mark.parametrize("text", INVALID)
def test_refusals_are_the_python_parsers_word_for_word(text: str) -> None:
    try:
        expected: object = _python(text)
    except BankError as error:
        expected = str(error)
    try:
        got: object = _seen(yamlsrc.load_yaml_text(text, "bank.yaml"))
    except BankError as error:
        got = str(error)
    assert got == expected


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_nesting_is_refused_without_reaching_libyamls_composer(depth: int) -> None:
    # libyaml's composer recurses in C: the depth is checked on the event stream first.
    text = "a: " + "[" * depth + "]" * depth + "\n"
    assert yamlsrc._load_with_libyaml(text, "bank.yaml") is None
    with pytest.raises(BankError, match=f"nested more than {MAX_DEPTH} levels deep"):
        yamlsrc.load_yaml_text(text, "bank.yaml")


def test_nesting_at_the_limit_is_read_by_libyaml() -> None:
    text = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert _fast(text) == _python(text)


_SCALARS = st.one_of(
    st.text(max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_DATA, st.sampled_from([None, True, False]))
def test_whatever_pyyaml_writes_reads_the_same(data: object, flow: bool | None) -> None:
    text = yaml.safe_dump({"q": data}, allow_unicode=True, default_flow_style=flow)
    if yaml.reader.Reader.NON_PRINTABLE.search(text):  # the Python path speaks alone
        assert yamlsrc._load_with_libyaml(text, "bank.yaml") is None
        return
    assert _fast(text) == _python(text)

"""XML fragments for scoring rules, written by Python.

QTI response processing (1.2 ``conditionvar`` trees, 2.1 ``responseProcessing``) is data: a
tree of operators whose shape follows the answer key. The exporters compose it from
:func:`element` calls, each returning the element's XML, and hand the templates the result; a
recursive template macro did the same job about ten times slower, which mattered for pools of
thousands of variants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

__all__ = ["element"]

_PLAIN = re.compile(r"[\w .:/+\-]*").fullmatch


def element(
    tag: str,
    attrs: Sequence[tuple[str, str]] = (),
    children: Sequence[str] = (),
    text: str = "",
) -> str:
    """One element as compact XML: attributes in order, then children (XML) or text.

    Attribute values and text are escaped; ``children`` are already XML.
    """
    # a list, not a generator: join makes one anyway, and this is a hot path
    head = tag + "".join([f' {name}="{_escape(value)}"' for name, value in attrs])
    if children:
        return f"<{head}>{''.join(children)}</{tag}>"
    if text:
        return f"<{head}>{_escape(text)}</{tag}>"
    return f"<{head}/>"


def _escape(text: str) -> str:
    """XML-escaped text; most values are identifiers and numbers, which need nothing."""
    return text if _PLAIN(text) else escape(text)

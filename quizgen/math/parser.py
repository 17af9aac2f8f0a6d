"""Pass 3: recursive-descent parser from tokens to the syntax tree of nodes.py.

Grammar (lowest precedence first; implicit multiplication ranks with '*' and '/')::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary | <implicit> unary)*
    unary  := ('-' | '+' | '√') unary | power
    power  := atom (('^' | '**') unary)?
    atom   := number | name | name '(' args ')' | '(' expr ')' | '[' expr ']'

The nesting depth is checked before every recursive step, so hostile input fails fast with
a MathSyntaxError and never reaches Python's recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from quizgen.errors import MathSyntaxError
from quizgen.math.functions import CONSTANTS, FUNCTIONS, SHADOWABLE
from quizgen.math.limits import Limits
from quizgen.math.nodes import Add, Call, Const, Inv, Mul, Neg, Node, Num, Pow, Sym
from quizgen.math.tokens import Token, TokenSource

__all__ = ["Parser", "split_name"]

EXPECTED = "expected a number, a name or '('"
_STARTS_FACTOR = frozenset({"num", "name", "open", "root"})
_RESERVED = frozenset(FUNCTIONS) | frozenset(CONSTANTS)
_MAX_LISTED = 20
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_N = TypeVar("_N", Add, Call, Const, Inv, Mul, Neg, Num, Pow, Sym)


def split_name(word: str, vocabulary: frozenset[str], limit: int = 2) -> list[list[str]]:
    """Ways (at most ``limit``) to write ``word`` as a concatenation of vocabulary words.

    Args:
        word: the identifier to split.
        vocabulary: the allowed pieces.
        limit: stop counting after this many ways.

    Returns:
        Up to ``limit`` splits, each a list of pieces.
    """
    ways: list[list[list[str]]] = [[] for _ in range(len(word))] + [[[]]]
    for i in range(len(word) - 1, -1, -1):
        for j in range(i + 1, len(word) + 1):
            if word[i:j] in vocabulary:
                for rest in ways[j]:
                    if len(ways[i]) < limit:
                        ways[i].append([word[i:j], *rest])
    return ways[0]


def _render(pieces: Sequence[str]) -> str:
    """Show a split as the student should type it: ['sin', 'x'] -> 'sin(x)'; a function takes
    the pieces up to the next function (['sin', 'x', 'cos', 'x'] -> 'sin(x)*cos(x)')."""
    out: list[str] = []
    inside: list[str] | None = None
    for piece in pieces:
        if piece in FUNCTIONS:
            inside = []
            out.append(piece)
        elif inside is not None:
            inside.append(piece)
            out[-1] = out[-1].split("(")[0] + f"({'*'.join(inside)})"
        else:
            out.append(piece)
    return "*".join(p if p not in FUNCTIONS else f"{p}(...)" for p in out)


def _split_of(node: Node, token: Token) -> Mul | None:
    """The product a glued name such as ``xy`` was split into, when ``node`` is exactly that."""
    if (
        token.kind == "name"
        and isinstance(node, Mul)
        and (node.start, node.end) == (token.start, token.end)
    ):
        return node
    return None


class Parser:
    """Parses one token sequence; use :meth:`parse` once.

    Args:
        tokens: output of :func:`~quizgen.math.tokens.tokenize`.
        text: the original text (for error messages).
        declared: names the caller allows, or None to accept any non-reserved name
            (the free_names mode: no splitting, unknown calls still refused).
        split_names: split unknown names into declared ones when there is one way.
        limits: depth and node limits.
    """

    def __init__(
        self,
        tokens: TokenSource,
        text: str,
        declared: frozenset[str] | None,
        split_names: bool,
        limits: Limits,
    ) -> None:
        """Set up the parser state (see the class docstring for the arguments)."""
        self.tokens = tokens
        self.text = text
        self.declared = declared
        self.split_names = split_names
        self.limits = limits
        self.pos = 0
        self.depth = -1
        self.count = 0
        self.names: dict[str, None] = {}

    # -- helpers ---------------------------------------------------------------------------

    def _peek(self) -> Token:
        return self.tokens[self.pos]

    def _advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _error(self, message: str, token: Token) -> MathSyntaxError:
        return MathSyntaxError(message, self.text, token.start, token.width)

    def _node(self, node: _N) -> _N:
        self.count += 1
        if self.count > self.limits.max_nodes:
            limit = self.limits.max_nodes
            raise MathSyntaxError(f"expression is too long (more than {limit} parts)", self.text, 0)
        return node

    def _is_op(self, token: Token, *ops: str) -> bool:
        return token.kind == "op" and token.text in ops

    # -- grammar ---------------------------------------------------------------------------

    def parse(self) -> Node:
        """Parse the whole token sequence.

        Returns:
            The syntax tree.

        Raises:
            MathSyntaxError: on any syntax error.
        """
        if self._peek().kind == "end":
            raise MathSyntaxError(f"the input is empty — {EXPECTED}", self.text, 0)
        node = self._expr()
        token = self._peek()
        if token.kind == "comma":
            raise self._comma_error(token)
        if token.kind != "end":
            raise self._error(f"unexpected {token.describe()} — expected an operator", token)
        return node

    def _expr(self) -> Node:
        terms = [self._term()]
        while self._is_op(self._peek(), "+", "-"):
            op = self._advance()
            term = self._term()
            if op.text == "-":
                term = self._node(Neg(term, op.start, op.start, term.end))
            terms.append(term)
        if len(terms) == 1:
            return terms[0]
        return self._node(Add(tuple(terms), terms[0].start, terms[-1].end))

    def _term(self) -> Node:
        factors = [self._unary()]
        while True:
            token = self._peek()
            if self._is_op(token, "*", "/"):
                self._advance()
                factor = self._unary()
                if token.text == "/":
                    factor = self._node(Inv(factor, token.start, token.start, factor.end))
            elif token.kind in _STARTS_FACTOR:
                self._check_implicit(token)
                factor = self._unary()
            else:
                break
            factors.append(factor)
        if len(factors) == 1:
            return factors[0]
        return self._node(Mul(tuple(factors), factors[0].start, factors[-1].end))

    def _check_implicit(self, token: Token) -> None:
        previous = self.tokens[self.pos - 1]
        if previous.kind == "num" and token.kind == "num":
            message = (
                f"two numbers in a row ({previous.text} and {token.text}) — write '*' "
                "between them, and no spaces inside a number"
            )
            raise self._error(message, token)
        if previous.kind == "name" and token.text == "[":
            message = (
                f"'[' right after '{previous.text}' looks like indexing, which is not allowed;"
                f" write {previous.text}*(...) to multiply"
            )
            raise self._error(message, token)

    def _unary(self) -> Node:
        token = self._peek()
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self._error(f"nesting deeper than {self.limits.max_depth} levels", token)
        if self._is_op(token, "-", "+") or token.kind == "root":
            self._advance()
            operand = self._unary()
            if token.text == "-":
                node: Node = self._node(Neg(operand, token.start, token.start, operand.end))
            elif token.kind == "root":
                node = self._node(Call("sqrt", (operand,), token.start, operand.end))
            else:
                node = operand
        else:
            node = self._power()
        self.depth -= 1
        return node

    def _power(self) -> Node:
        first = self._peek()
        base = self._postfix(self._atom(), first)
        token = self._peek()
        if not self._is_op(token, "^", "**"):
            return base
        self._advance()
        exponent_token = self._peek()
        exponent = self._unary()
        # A glued name binds the exponent to its letter next to '^', as textbooks read it:
        # xy^2 is x*y^2, f^Tc0 is f^T*c0 (issue 10).
        before: tuple[Node, ...] = ()
        after: tuple[Node, ...] = ()
        glued = _split_of(base, first)
        if glued is not None:
            *head, base = glued.factors
            before = tuple(head)
        glued = _split_of(exponent, exponent_token)
        if glued is not None:
            exponent, *tail = glued.factors
            after = tuple(tail)
        power = self._node(Pow(base, exponent, token.start, base.start, exponent.end))
        if not before and not after:
            return power
        factors = (*before, power, *after)
        return self._node(Mul(factors, factors[0].start, factors[-1].end))

    def _postfix(self, node: Node, first: Token) -> Node:
        """``n!`` is factorial(n); a glued name's factorial is its last letter's (``kn!``)."""
        while self._is_op(self._peek(), "!"):
            bang = self._advance()
            glued = _split_of(node, first)
            if glued is not None:
                *head, last = glued.factors
                fact = self._node(Call("factorial", (last,), last.start, bang.end))
                node = self._node(Mul((*head, fact), node.start, bang.end))
            else:
                node = self._node(Call("factorial", (node,), node.start, bang.end))
            first = bang
        return node

    def _atom(self) -> Node:
        token = self._advance()
        if token.kind == "num":
            assert token.value is not None
            return self._node(Num(*token.value, token.start, token.end))
        if token.kind == "name":
            return self._name(token)
        if token.kind == "open":
            inner = self._expr()
            closer = self._expect_close(token)
            return replace(inner, start=token.start, end=closer.end)
        raise self._error(f"unexpected {token.describe()} — {EXPECTED}", token)

    def _expect_close(self, opener: Token) -> Token:
        token = self._peek()
        if token.kind == "comma":
            raise self._comma_error(token)
        if token.kind != "close":
            closer = {"(": ")", "[": "]", "{": "}"}[opener.text]
            raise self._error(f"unexpected {token.describe()} — expected '{closer}'", token)
        return self._advance()

    def _comma_error(self, token: Token) -> MathSyntaxError:
        message = "',' is only allowed between function arguments"
        before, after = self.tokens[self.pos - 1], self.tokens[self.pos + 1]
        if before.kind == "num" and after.kind == "num":
            left = self.text[before.start : before.end]
            right = self.text[after.start : after.end]
            if len(right) == 3 and left.isdigit() and right.isdigit():
                message += f"; write {left}{right} without separators"
            else:
                message += f"; use '.' for decimals, e.g. {left}.{right}"
        return self._error(message, token)

    # -- names and calls -------------------------------------------------------------------

    def _name(self, token: Token) -> Node:
        word = token.text
        if self.declared is not None and word in self.declared:
            return self._symbol(word, token.start, token.end)
        if word in SHADOWABLE and self.declared is None and not self._next_is_call():
            return self._symbol(word, token.start, token.end)  # a bank's own name 'root'
        if word in FUNCTIONS:
            return self._call(token)
        if word in CONSTANTS:
            return self._node(Const(word, token.start, token.end))
        if self.declared is None and not self._next_is_paren():
            return self._symbol(word, token.start, token.end)
        return self._unknown(token)

    def _symbol(self, word: str, start: int, end: int) -> Sym:
        self.names.setdefault(word, None)
        return self._node(Sym(word, start, end))

    def _next_is_call(self) -> bool:
        return self._next_is_paren() or self._is_op(self._peek(), "^", "**")

    def _next_is_paren(self) -> bool:
        token = self._peek()
        return token.kind == "open" and token.text == "("

    def _call(self, name: Token) -> Node:
        if self._is_op(self._peek(), "^", "**"):
            return self._call_power(name)
        if not self._next_is_paren():
            message = f"function '{name.text}' needs parentheses, e.g. {name.text}(x)"
            raise self._error(message, name)
        return self._call_args(name)

    def _call_power(self, name: Token) -> Node:
        """``tanh^2(x)`` (and ``tanh²(x)``) is tanh(x)^2; ``tanh^-1`` is refused as ambiguous."""
        caret = self._advance()
        exponent = self._unary()
        whole = isinstance(exponent, Num) and exponent.denominator == 1
        if not whole or exponent.numerator < 1:
            message = (
                f"write {name.text}(x)^n for a power; for the inverse function write "
                f"a{name.text}(x) or arc{name.text}(x)"
                if not name.text.startswith("a")
                else f"write {name.text}(x)^n for a power of {name.text}"
            )
            raise MathSyntaxError(message, self.text, name.start, exponent.end - name.start)
        if not self._next_is_paren():
            message = f"function '{name.text}' needs parentheses, e.g. {name.text}^2(x)"
            raise self._error(message, name)
        call = self._call_args(name)
        return self._node(Pow(call, exponent, caret.start, name.start, call.end))

    def _call_args(self, name: Token) -> Call:
        spec = FUNCTIONS[name.text]
        opener = self._advance()
        args: list[Node] = []
        if self._peek().kind != "close":
            args.append(self._expr())
            while self._peek().kind == "comma":
                self._advance()
                args.append(self._expr())
        closer = self._expect_close(opener)
        too_many = spec.max_args is not None and len(args) > spec.max_args
        if len(args) < spec.min_args or too_many:
            message = f"{name.text}() takes {spec.arity()} ({len(args)} given)"
            raise MathSyntaxError(message, self.text, name.start, closer.end - name.start)
        return self._node(Call(name.text, tuple(args), name.start, closer.end))

    def _unknown(self, token: Token) -> Node:
        word = token.text
        declared = self.declared or frozenset()
        ways = split_name(word, declared | _RESERVED)
        unique = ways[0] if len(ways) == 1 else None
        if unique and sum(piece in CONSTANTS for piece in unique) > 1:
            ways, unique = [], None  # e.g. 'exec' as e*x*e*c is no useful hint
        if self.split_names and unique and all(piece in declared for piece in unique):
            return self._split_product(unique, token)
        hint = self._case_hint(word)
        if hint is not None:
            raise self._error(hint, token)
        if self._next_is_paren():
            raise self._error(self._unknown_call_message(word, unique), token)
        raise self._error(self._unknown_message(word, ways), token)

    def _case_hint(self, word: str) -> str | None:
        """'names are case-sensitive: did you mean h and x? (variables: h, x)' when ``word``
        is a declared name typed in another case; every such name in the text is listed."""
        declared = self.declared or frozenset()
        folded = {name.lower(): name for name in declared}
        if len(folded) != len(declared) or word in _RESERVED:
            return None  # names differing only by case: no guessing

        def meant(name: str) -> list[str] | None:
            if name in declared or name in _RESERVED:
                return None
            ways = split_name(name.lower(), frozenset(folded))
            if len(ways) != 1:
                return None
            names = [folded[p] for p in ways[0]]
            return names if "".join(names) != name else None

        if meant(word) is None:
            return None
        found: dict[str, None] = {}
        for other in _IDENTIFIER.findall(self.text):
            for name in meant(other) or ():
                found.setdefault(name, None)
        names, known = " and ".join(found), ", ".join(sorted(declared))
        return f"names are case-sensitive: did you mean {names}? (variables: {known})"

    def _unknown_call_message(self, word: str, unique: list[str] | None) -> str:
        allowed = ", ".join(sorted(FUNCTIONS))
        message = f"function '{word}' is not allowed (allowed: {allowed})"
        if unique and unique[-1] in FUNCTIONS:
            return f"{message} — did you mean {'*'.join(unique[:-1])}*{unique[-1]}(...)?"
        if unique:
            return f"{message} — did you mean {'*'.join(unique)}*(...)?"
        if word.lower() in FUNCTIONS:
            return f"{message} — names are case-sensitive: did you mean {word.lower()}?"
        if self.declared is None:
            return f"{message}; to multiply, write {word}*(...)"
        return message

    def _unknown_message(self, word: str, ways: list[list[str]]) -> str:
        names = sorted(self.declared or ())
        listed = ", ".join(names[:_MAX_LISTED]) + (", …" if len(names) > _MAX_LISTED else "")
        message = f"unknown name '{word}' (known: {listed or 'none'})"
        if len(ways) == 1:
            shown = _render(ways[0])
            called = [p for p in ways[0] if p in FUNCTIONS]
            if called and len(ways[0]) > 1:
                first = _first_factor(_render(ways[0][ways[0].index(called[0]) :]))
                return f"{message} — did you mean {shown}? (write {first}, with parentheses)"
            return f"{message} — did you mean {shown}?"
        if len(ways) > 1:
            options = " or ".join(_render(way) for way in ways)
            return f"{message} — it could mean {options}; write the '*'"
        matches = [n for n in (*names, *sorted(_RESERVED)) if n.lower() == word.lower()]
        if matches:
            return f"{message} — names are case-sensitive: did you mean {matches[0]}?"
        return message

    def _split_product(self, pieces: list[str], token: Token) -> Mul:
        factors: list[Node] = []
        start = token.start
        for piece in pieces:
            factors.append(self._symbol(piece, start, start + len(piece)))
            start += len(piece)
        return self._node(Mul(tuple(factors), token.start, token.end))


def _first_factor(product: str) -> str:
    """The first factor of a rendered product: ``sin(x*h)*y`` gives ``sin(x*h)``."""
    depth = 0
    for i, char in enumerate(product):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "*" and depth == 0:
            return product[:i]
    return product

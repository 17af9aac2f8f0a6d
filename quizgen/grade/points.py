"""Where an expression answer is sampled: a balanced design of points over the variables' domains.

Points come in blocks of 12. In every block:

* **signs** of the variables that take both signs (``real``, ``integer``) follow the columns of
  the 12-run Plackett–Burman design, assigned to the variables in a random order and each
  column flipped at random: every variable is negative at 6 points and positive at 6, and
  every *pair* of variables shows each of the four sign combinations 3 times (for up to 11
  such variables; the 12th and later get an independently shuffled half-and-half column).
* **magnitudes** follow a shuffled list of tiers, so each variable takes, in every block,
  values near zero, below 1, between 1 and 10, between 10 and 100 and between 100 and 1000
  (reals, as fractions with random four-digit denominators), or 0–3, up to 10, up to 50 and
  up to 200 (integers; ``nonnegative integer`` and ``integer`` include 0).

The stream is seeded from the key, so the same key gets the same points on every machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from quizgen.rng import Stream

__all__ = ["BLOCK", "INTEGER_TIERS", "REAL_TIERS", "sample_points", "sign_columns"]

BLOCK = 12
# The generator row of the 12-run Plackett–Burman design; the other rows are its cyclic
# shifts, and the last row is all minus.
_PB12 = (1, 1, -1, 1, 1, 1, -1, -1, -1, 1, -1)
# (low, high) of |value| for reals, with how many of the 12 points of a block get the tier.
REAL_TIERS: tuple[tuple[Fraction, Fraction, int], ...] = (
    (Fraction(1, 1000), Fraction(1, 20), 2),  # near zero
    (Fraction(1, 20), Fraction(1), 3),
    (Fraction(1), Fraction(10), 4),
    (Fraction(10), Fraction(100), 2),
    (Fraction(100), Fraction(1000), 1),
)
INTEGER_TIERS: tuple[tuple[int, int, int], ...] = ((1, 4, 3), (1, 10, 4), (11, 50, 3), (51, 200, 2))


def sign_columns(count: int, stream: Stream) -> list[list[int]]:
    """``count`` columns of 12 signs (+1/-1), balanced and pairwise orthogonal (see above)."""
    rows = [_PB12[-i:] + _PB12[:-i] for i in range(11)] + [(-1,) * 11]
    order = stream.shuffled(range(11))
    columns = []
    for j in range(count):
        if j < 11:
            flip = 1 if stream.below(2) else -1
            columns.append([flip * row[order[j]] for row in rows])
        else:
            columns.append(stream.shuffled([1] * 6 + [-1] * 6))
    return columns


def _tiers(integer: bool, stream: Stream) -> list[tuple[Fraction, Fraction]]:
    table = INTEGER_TIERS if integer else REAL_TIERS
    tiers = [(Fraction(low), Fraction(high)) for low, high, n in table for _ in range(n)]
    return stream.shuffled(tiers)


def _magnitude(low: Fraction, high: Fraction, integer: bool, stream: Stream) -> Fraction:
    """A positive value in [low, high]: a whole number, or a fraction with a random
    four-digit denominator (so no accidental integer or simple-fraction identities)."""
    if integer:
        return Fraction(int(low) + stream.below(int(high - low) + 1))
    denominator = 1009 + stream.below(8990)
    start = max(1, int(low * denominator))
    stop = max(start + 1, int(high * denominator))
    return Fraction(start + stream.below(stop - start), denominator)


def _value(domain: str, low: Fraction, high: Fraction, sign: int, stream: Stream) -> Fraction:
    integer = domain.endswith("integer")
    size = _magnitude(low, high, integer, stream)
    if domain == "nonnegative integer" or domain == "integer":
        size -= 1 if low == 1 else 0  # the smallest tier includes 0
    if domain.startswith(("positive", "nonnegative")):
        return size
    return size if sign > 0 else -size


def _block(domains: Mapping[str, str], stream: Stream) -> list[dict[str, Fraction]]:
    names = sorted(domains)
    signed = [n for n in names if not domains[n].startswith(("positive", "nonnegative"))]
    columns = dict(zip(signed, sign_columns(len(signed), stream), strict=True))
    tiers = {n: _tiers(domains[n].endswith("integer"), stream) for n in names}
    block = []
    for i in range(BLOCK):
        point = {}
        for name in names:
            low, high = tiers[name][i]
            sign = columns[name][i] if name in columns else 1
            point[name] = _value(domains[name], low, high, sign, stream)
        block.append(point)
    return block


def sample_points(
    domains: Mapping[str, str], stream: Stream, count: int
) -> list[dict[str, Fraction]]:
    """``count`` points (variable name -> value) of the variables' domains, in balanced
    blocks of 12 (module docstring); no variables: one empty point."""
    if not domains:
        return [{}]
    points: list[dict[str, Fraction]] = []
    while len(points) < count:
        points.extend(_block(domains, stream))
    return points[:count]

"""The commented starter bank ``quizgen new`` writes: one question of each kind, passing check."""

from __future__ import annotations

from pathlib import Path

from quizgen.errors import UsageError

__all__ = ["STARTER", "write_starter"]

STARTER = """\
# A starter bank written by `quizgen new`: one question of each kind. Edit it, then run
#   quizgen check THIS_FILE        (every problem, located, in one run)
#   quizgen preview THIS_FILE --watch   (the paper and the key, re-rendered on save)
# Reference: docs/bank-format.md. Quote any value that starts with {{ (YAML reads { as a mapping).
id: starter                    # letters, digits, _ . - ; changing it changes every variant
title: Starter bank
course: My course
questions:
  # numeric: a formula of the parameters, solved exactly for every student.
  - id: rectangle-area
    kind: numeric
    topic: geometry
    params:
      w: {range: [2, 19]}            # whole numbers 2..19
      h: {choice: [5, 7, 9]}
    let:
      area: w*h                      # derived values, usable in texts and answers
    answer: area
    tolerance: 0                     # a number (absolute) or {relative: 0.01} or {sigfigs: 3}
    unit: cm^2
    prompt: A rectangle is {{ w }} cm wide and {{ h }} cm high. What is its area?
    solution: "{{ w }} × {{ h }} = {{ area }} cm²."
    mistakes:                        # known wrong answers and the feedback they earn
      - answer: 2*(w + h)
        feedback: That is the perimeter.
    examples:                        # checked by `quizgen check`: these values give this answer
      - params: {w: 4, h: 5}
        answer: 20

  # expression: the student types a formula; it is compared symbolically.
  - id: derivative
    kind: expression
    topic: calculus
    params:
      a: {range: [2, 6]}
    let:
      b: a - 1                       # templates show values; arithmetic goes in 'let'
    variables: [x]
    answer: a*x^(a-1)
    prompt: "Differentiate $x^{ {{- a -}} }$ with respect to $x$."
    solution: "$\\\\frac{d}{dx} x^{ {{- a -}} } = {{ a }} x^{ {{- b -}} }$"
    examples:
      - params: {a: 3}
        answer: 3*x^2

  # choice: exactly one correct option; options are shuffled per student.
  - id: capital
    kind: choice
    topic: general
    prompt: Which city is the capital of France?
    options:
      - {text: Paris, correct: true}
      - {text: Lyon, feedback: Lyon is the third largest city.}
      - Marseille                    # a plain text is a wrong option
    examples:
      - answer: Paris

  # multi: any number of correct options; scoring: right-minus-wrong, all-or-nothing, partial.
  - id: primes
    kind: multi
    topic: numbers
    prompt: Which of these numbers are prime?
    options:
      - {text: "2", correct: true}
      - {text: "7", correct: true}
      - {text: "9"}
      - {text: "15"}
    scoring: right-minus-wrong

  # truefalse: true, false, or a comparison of the parameters.
  - id: bigger
    kind: truefalse
    topic: numbers
    params:
      p: {range: [1, 20]}
      q: {range: [1, 20]}
    answer: p > q
    prompt: "True or false: {{ p }} is greater than {{ q }}."
    feedback: Compare the two numbers again.

  # text: short answers, compared after normalizing case and spaces (or a regex).
  - id: element
    kind: text
    topic: chemistry
    prompt: Which element has the symbol O?
    answers: [oxygen]
    mistakes:
      - {answer: osmium, feedback: Osmium is Os.}
    examples:
      - answer: oxygen

  # essay: graded by hand, with a rubric for the grader.
  - id: explain
    kind: essay
    topic: general
    points: 2
    prompt: Explain in two sentences why a model can overfit.
    rubric: One point for memorizing noise, one for too little data or too many parameters.

  # multipart: several answers of any kind under one prompt.
  - id: circle
    kind: multipart
    topic: geometry
    params:
      r: {range: [1, 40]}
    prompt: A circle has radius {{ r }} cm.
    parts:
      - id: diameter
        kind: numeric
        prompt: Its diameter (cm)?
        answer: 2*r
      - id: area
        kind: numeric
        prompt: Its area (cm², 2 decimals)?
        answer: pi*r^2
        tolerance: 0.01
    examples:
      - params: {r: 2}
        answer: {diameter: 4, area: 12.57}
"""


def write_starter(path: Path, force: bool = False) -> Path:
    """Write the starter bank to ``path`` (refusing to overwrite unless ``force``).

    Raises:
        UsageError: the file exists and ``force`` is not set.
    """
    if path.exists() and not force:
        raise UsageError(f"{path} already exists", hint="pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = STARTER.replace("id: starter ", f"id: {_bank_id(path)} ", 1)
    path.write_text(text, encoding="utf-8")
    return path


def _bank_id(path: Path) -> str:
    """A valid bank id from the file name (``My Bank.yaml`` -> ``My-Bank``)."""
    stem = "".join(c if c.isalnum() or c in "_.-" else "-" for c in path.stem).strip("-.")
    return stem if stem[:1].isalnum() else "starter"

"""Exact mathematics shared by generation and grading, and nothing else of quizgen.

The safe parser (``parse``), the one table of functions and domains (``functions``), the
one evaluator of formulas, with a policy for points where they have no real value
(``evaluate``), printing back to parseable text (``printing``) and exact numbers with their
display rules (``numbers``). Modules here import only :mod:`quizgen.errors` from
the rest of the package; submodules are imported by name so that importing one does not load
sympy for the others.
"""

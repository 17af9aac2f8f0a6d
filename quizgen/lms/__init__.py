"""The LMS leg back: an LMS's own response report, graded quizgen's way.

An LMS can collect an algebraic answer but cannot judge it, and compares a numeric blank as
text. ``quizgen export --manifest`` records which variants it wrote and how each LMS shows
them; :mod:`quizgen.lms.reports` reads Canvas's quiz "Student Analysis" CSV and Moodle's quiz
"Responses" CSV; :mod:`quizgen.lms.regrade` maps every response back to its variant and grades
it with quizgen's checkers; :mod:`quizgen.lms.gradebook` writes the LMS's grade import file.
"""

"""Practice: a terminal tutor for students (``quizgen practice``, ``quizgen progress``).

``session`` chooses and draws questions and grades answers, ``loop`` runs the ask–grade–explain
loop over injected input and output, ``history`` stores every counted answer in SQLite,
``review`` turns the history into Leitner boxes, ``progress`` summarizes it per topic,
``mathtext`` and ``text`` turn bank Markdown and TeX into terminal text, ``views`` shows a
session (rich text or JSON lines), and ``terminal`` is the I/O edge (prompt_toolkit or plain
lines) and the commands' bodies. The core of quizgen never imports this package.
"""

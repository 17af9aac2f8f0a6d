"""Generation: a validated bank, a seed and a roster become a frozen exam and its files.

``params`` draws, ``solve`` compiles and solves, ``exam`` assembles one variant per student
and question, ``write`` writes the exam folder (papers, keys, ``key.json``).
"""

"""Generation: a validated bank, a seed and a roster become a frozen exam and its files.

``params`` draws parameters, ``compile`` compiles a question once, ``solve`` draws and solves
one variant, ``exam`` assembles one variant per student and question, ``write`` writes the
exam folder (papers, keys, ``key.json``), ``regrade`` re-solves a frozen exam on request.
"""

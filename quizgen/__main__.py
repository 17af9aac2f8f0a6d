"""The ``quizgen`` command's entry (console script and ``python -m quizgen``): load the
command-line interface, then run it.

Loading it (typer, rich, the commands) takes a few tenths of a second, seconds on a busy
machine; a Ctrl-C then ends the command as one during its work does (exit 130, nothing
written yet) instead of with a traceback of the import.
"""

import sys

INTERRUPTED = 130  # as quizgen.cli's EXIT_INTERRUPTED (not imported: it is what loads)


def main() -> None:
    """Run the ``quizgen`` command."""
    try:
        from quizgen.cli import main as run
    except KeyboardInterrupt:
        print("quizgen: interrupted; nothing was written", file=sys.stderr)
        sys.exit(INTERRUPTED)
    run()


if __name__ == "__main__":
    main()

"""``quizgen preview``: a bank's papers and key side by side in a local page, live on save.

:func:`preview_html` renders a few variants of a bank (or of one question) as the student
paper next to the key; a bank with errors renders as the list of its errors instead, so an
author never reads a stale paper. :class:`PreviewServer` serves that page on 127.0.0.1 only and,
watching the bank files, re-renders on save; the page polls a version number and reloads
itself when it changes (no network, no install beyond quizgen).
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from quizgen.errors import BankError, BankErrors, QuizgenError, UsageError, format_error

__all__ = ["PreviewServer", "preview_html"]

POLL_SECONDS = 0.1  # how often the server looks at the files and the page asks for changes

_STYLE = """
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: #1d2330; background: #eef1f5; }
header { padding: .6rem 1rem; background: #1d2330; color: #fff; display: flex; gap: 1rem;
  align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 1.05rem; margin: 0; }
header .meta { color: #c6ccd8; font-size: .85rem; }
header .ok { color: #8fe3a5; } header .bad { color: #ff9c9c; font-weight: 600; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; padding: .8rem; }
section h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: #5a6478;
  margin: .2rem 0 .4rem; }
iframe { width: 100%; height: calc(100vh - 7rem); border: 1px solid #cfd5df; background: #fff;
  border-radius: 6px; }
.errors { margin: 1rem; padding: 1rem 1.2rem; background: #fff; border-left: 6px solid #d23c3c;
  border-radius: 6px; }
.errors h2 { margin: 0 0 .6rem; font-size: 1.05rem; color: #a32020; }
.errors ol { margin: 0; padding-left: 1.4rem; }
.errors li { margin: .45rem 0; }
.errors code.where { color: #5a6478; }
.errors pre { margin: .3rem 0 0; padding: .4rem .6rem; background: #f6f7f9; overflow-x: auto; }
.checks { margin: .8rem .8rem 0; padding: .6rem 1rem; background: #fff7e0;
  border-left: 6px solid #e0a400; border-radius: 6px; }
"""

_SCRIPT = """
(function () {
  var shown = %s;
  function poll() {
    fetch('/version', {cache: 'no-store'}).then(function (r) { return r.text(); })
      .then(function (v) { if (v !== shown) { location.reload(); } else { setTimeout(poll, %d); } })
      .catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, %d);
})();
"""


def preview_html(
    paths: Sequence[Path],
    *,
    question: str | None = None,
    seed: str = "preview",
    variants: int = 2,
    version: str | None = None,
) -> str:
    """The preview page of the banks at ``paths``: papers and key, or the bank's errors.

    Args:
        paths: bank files or folders.
        question: show only this question id.
        seed: the seed the variants are drawn with.
        variants: how many students' variants to show.
        version: when given, the page polls the server and reloads when it changes.
    """
    title = ", ".join(Path(p).name for p in paths)
    try:
        body, status = _papers(paths, question, seed, variants)
    except BankErrors as exc:
        body, status = _errors_html(exc.errors), _status(len(exc.errors))
    except BankError as exc:
        body, status = _errors_html([exc]), _status(1)
    except QuizgenError as exc:
        body, status = _message_html(format_error(exc)), '<span class="bad">error</span>'
    stamp = time.strftime("%H:%M:%S")
    script = ""
    if version is not None:
        ms = int(POLL_SECONDS * 1000)
        script = f"<script>{_SCRIPT % (_js_string(version), ms, ms)}</script>"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>preview · {html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><span class='meta'>seed {html.escape(seed)} · "
        f"{variants} variant(s) · rendered {stamp}</span>{status}</header>"
        f"{body}{script}</body></html>\n"
    )


def _status(count: int) -> str:
    return f'<span class="bad" id="status">{count} error(s): nothing rendered</span>'


def _js_string(text: str) -> str:
    return '"' + "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in text) + '"'


def _papers(
    paths: Sequence[Path], question: str | None, seed: str, variants: int
) -> tuple[str, str]:
    """The papers and key side by side, and the header's status."""
    from quizgen.bank.load import load_banks_partial
    from quizgen.generate.exam import build_exam, numbered_students
    from quizgen.render import get_renderer

    banks, errors = load_banks_partial(list(paths))
    if errors:
        raise BankErrors(errors)
    if question is not None:
        banks = _only(banks, question)
    exam = build_exam(banks, numbered_students(variants), seed)
    renderer = get_renderer("html")
    frames = "".join(
        _frame(f"paper · student {p.student_id}", renderer.paper(exam, p)) for p in exam.papers
    )
    key = _frame("key", renderer.key(exam))
    problems = _checked(banks)  # wrong examples or mistakes: shown above the papers
    checks = ""
    if problems:
        items = "".join(_error_item(e) for e in problems)
        checks = f"<div class='checks' id='checks'><b>check</b>: <ol>{items}</ol></div>"
    status = '<span class="ok" id="status">ok</span>'
    if problems:
        status = f'<span class="bad" id="status">{len(problems)} check error(s)</span>'
    return f"{checks}<main><section>{frames}</section><section>{key}</section></main>", status


_PASSED: set[tuple[str, str, str]] = set()  # questions whose quick check passed, by content


def _checked(banks: list[Any]) -> list[BankError]:
    """The errors of ``quizgen check``'s quick pass; a question that passed as it is now is
    not checked again (a save changes one question; its neighbours' checks still hold)."""
    from quizgen.check import check_question

    errors = []
    for bank in banks:
        for index, question in enumerate(bank.questions):
            key = (bank.id, bank.source, question.model_dump_json())
            if key in _PASSED:
                continue
            report = check_question(bank, index, variants=1)
            errors.extend(report.errors)
            if report.ok:
                _PASSED.add(key)
    return errors


def _only(banks: list[Any], question: str) -> list[Any]:
    found = [
        b.model_copy(update={"questions": [q for q in b.questions if q.id == question]})
        for b in banks
    ]
    found = [b for b in found if b.questions]
    if not found:
        raise UsageError(f"no question '{question}' in the bank(s)")
    return found


def _frame(label: str, page: str) -> str:
    return (
        f"<h2>{html.escape(label)}</h2>"
        f"<iframe title='{html.escape(label)}' srcdoc=\"{html.escape(page)}\"></iframe>"
    )


def _error_item(error: BankError) -> str:
    detail = f"<pre>{html.escape(error.detail)}</pre>" if error.detail else ""
    where = error.location() + (f": {error.path}" if error.path else "")
    return (
        f"<li><code class='where'>{html.escape(where)}</code><br>"
        f"{html.escape(error.message)}{detail}</li>"
    )


def _errors_html(errors: Sequence[BankError]) -> str:
    items = "".join(_error_item(e) for e in errors)
    return (
        f"<div class='errors' id='errors'><h2>The bank has {len(errors)} error(s); fix them "
        f"and save: this page updates itself.</h2><ol>{items}</ol></div>"
    )


def _message_html(text: str) -> str:
    return f"<div class='errors' id='errors'><pre>{html.escape(text)}</pre></div>"


class PreviewServer:
    """Serves the preview on 127.0.0.1 and re-renders it when a bank file changes.

    Attributes:
        url: where the page is (the port is chosen by the system when 0 is asked).
    """

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        port: int = 0,
        question: str | None = None,
        seed: str = "preview",
        variants: int = 2,
    ) -> None:
        from quizgen.bank.load import bank_files

        self.paths = list(paths)
        self.files = bank_files(self.paths)
        self.options = {"question": question, "seed": seed, "variants": variants}
        self.version = 0
        self.page = ""
        self._stamps = self._mtimes()
        self.render()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def render(self) -> None:
        """Render the page again (a new version: open pages reload)."""
        self.version += 1
        self.page = preview_html(self.paths, version=str(self.version), **self.options)

    def _mtimes(self) -> list[tuple[int, int]]:
        stamps = []
        for f in self.files:
            try:
                st = f.stat()
                stamps.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append((0, 0))  # being replaced by an editor: look again next time
        return stamps

    def serve_forever(self) -> None:
        """Serve (in a thread) and watch the files (here) until :meth:`stop` or Ctrl-C.

        Rendering stays in the calling thread: in the main thread, grading checks are bounded
        by a timer signal; in any other thread they would start worker processes.
        """
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        ).start()
        try:
            while not self._stop.wait(POLL_SECONDS):
                stamps = self._mtimes()
                if stamps != self._stamps:
                    self._stamps = stamps
                    self.render()
        finally:
            self._server.shutdown()
            self._server.server_close()

    def stop(self) -> None:
        """Stop watching and serving."""
        self._stop.set()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        preview = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/version":
                    self._send(str(preview.version), "text/plain")
                elif self.path in ("/", "/index.html"):
                    self._send(preview.page, "text/html")
                else:
                    self.send_error(404)

            def _send(self, text: str, kind: str) -> None:
                data = text.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # keep the terminal for the author's messages

        return Handler

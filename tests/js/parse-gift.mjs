// Parse GIFT text with the independent gift-pegjs grammar and print the result as JSON.
//
// Usage: node parse-gift.mjs FILE        (or "-" / no argument: read stdin)
// Prints {"ok": true, "questions": [...]} and exits 0, or
// {"ok": false, "error": {"message", "line", "column"}} and exits 1.
import { readFileSync } from "node:fs";
import { parse } from "gift-pegjs";

const source = process.argv[2] && process.argv[2] !== "-" ? process.argv[2] : 0;
const text = readFileSync(source, "utf8");
try {
  const questions = parse(text);
  process.stdout.write(JSON.stringify({ ok: true, questions }));
} catch (err) {
  const start = err.location ? err.location.start : { line: null, column: null };
  const error = { message: String(err.message), line: start.line, column: start.column };
  process.stdout.write(JSON.stringify({ ok: false, error }));
  process.exitCode = 1;
}

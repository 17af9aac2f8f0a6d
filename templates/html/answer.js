/* quizgen: answering in the paper.
 *
 * Keeps the answers in this browser (localStorage, keyed by exam and student) as they are
 * typed, shows how a number or an expression was read, and saves the submission file that
 * `quizgen grade` reads. It sends nothing anywhere (the page's security policy forbids any
 * connection). The reading is a preview of the syntax in docs/math-syntax.md, not a verdict:
 * the grader reads the answer again and decides. The page knows no answer.
 */
(function () {
  "use strict";

  function table(keys, value) {
    var out = Object.create(null);
    for (var i = 0; i < keys.length; i++) out[keys[i]] = value === undefined ? true : value;
    return out;
  }

  // ---- reading an expression (docs/math-syntax.md; quizgen/math/unicode, tokens, parser) ----
  // A copy of the grader's reading, rule by rule and with its messages: tests/test_browser.py
  // checks it against the grader. A change to the Python parser needs the same change here.

  // The functions of quizgen/math/functions.py with their argument counts [fewest, most].
  var ARITY = Object.create(null);
  ("sqrt exp ln sin cos tan sinh cosh tanh asin acos atan arcsin arccos arctan sigmoid abs " +
    "floor ceil sec csc cot sech csch coth asinh acosh atanh arsinh arcosh artanh arcsinh " +
    "arccosh arctanh log10 log2 cbrt sign sgn factorial erf relu softplus heaviside")
    .split(" ").forEach(function (name) { ARITY[name] = [1, 1]; });
  ARITY.log = [1, 2];
  ARITY.min = [2, Infinity];
  ARITY.max = [2, Infinity];
  ARITY.root = [2, 2];
  ARITY.binomial = [2, 2];
  ARITY.nCr = [2, 2];
  var CONSTANTS = table(["pi", "e"]);
  var LIMITS = { length: 1000, depth: 60, digits: 60, exponent: 1000, bits: 14000, nodes: 2000 };
  var MAX_NAME = 40;
  var EXPECTED = "expected a number, a name or '('";

  var REPLACE = Object.create(null);
  function replaceAll(chars, by) {
    for (var i = 0; i < chars.length; i++) REPLACE[chars[i]] = by;
  }
  replaceAll("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " ");
  // times, middle dot, dot/star/bullet operators, and the element-wise products \u2299 and \u2218
  replaceAll("\u00d7\u00b7\u22c5\u2217\u2219\u2299\u2218", "*");
  replaceAll("\u2212\u2010\u2012\u2013\u2014", "-");
  replaceAll("\u00f7\u2215\u2044", "/");
  REPLACE["\u03c0"] = " pi ";
  REPLACE["\u03c3"] = " sigmoid ";  // \u03c3(z): how machine-learning texts write the logistic
  REPLACE["\u221a"] = "\u221a";
  "0123456789+-*/()[]^.,ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split("")
    .forEach(function (c) { REPLACE[String.fromCharCode(c.charCodeAt(0) + 0xfee0)] = c; });
  var SUPERSCRIPTS = Object.create(null);
  "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079".split("")
    .forEach(function (c, digit) { SUPERSCRIPTS[c] = String(digit); });
  SUPERSCRIPTS["\u207a"] = "+";
  SUPERSCRIPTS["\u207b"] = "-";
  var INVISIBLE = /^[\p{C}\p{Z}\p{M}]$/u;

  function Refusal(message) { this.message = message; }
  function refuse(message) { return new Refusal(message); }

  function codePoint(c) {
    return "U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
  }

  function normalize(text) {
    var out = "";
    var chars = Array.from(text);
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      var code = c.codePointAt(0);
      if ((code >= 0x20 && code < 0x7f) || c === "\t" || c === "\n" || c === "\r") {
        out += c;
      } else if (c in SUPERSCRIPTS) {
        var body = "";
        while (i < chars.length && chars[i] in SUPERSCRIPTS) body += SUPERSCRIPTS[chars[i++]];
        i--;
        out += "^(" + body + ")";
      } else if (c in REPLACE) {
        out += REPLACE[c];
      } else {
        var shown = INVISIBLE.test(c) ? codePoint(c) : "'" + c + "' (" + codePoint(c) + ")";
        // The page knows no Unicode names; the grader also names the character.
        var tail = /^\p{L}$/u.test(c) ?
          "; type letters on a plain English (ASCII) keyboard layout" : "";
        throw refuse("character " + shown + " is not allowed" + tail);
      }
    }
    return out;
  }

  var NUMBER = /(\d+\.?\d*|\.\d+)(?:[eE]([+-]?)(\d+))?/y;
  var NAME = /[A-Za-z][A-Za-z0-9_]*/y;
  var REFUSED = {
    "=": "'=' is not allowed; type only the expression, not an equation",
    "%": "'%' is not allowed; write 5/100 instead of 5%",
    "\"": "quotes ('\"') are not allowed",
    "'": "quotes (\"'\") are not allowed",
    "`": "backticks ('`') are not allowed",
    ";": "';' is not allowed; type a single expression",
    "\\": "'\\' is not allowed; LaTeX is not supported except \\cdot and \\times (write 1/2, " +
      "not \\frac{1}{2})",
    "$": "'$' is not allowed; LaTeX is not supported",
    "_": "names starting with '_' are not allowed",
    ".": "'.' is only allowed inside a number such as 0.5"
  };
  var PAIRS = { "(": ")", "[": "]", "{": "}" };  // braces group too: e^{-z}, x^{2}
  var OPENERS = { ")": "(", "]": "[", "}": "{" };
  var SIMPLE = { "+": "op", "-": "op", "/": "op", "^": "op", "!": "op", ",": "comma",
    "\u221a": "root" };
  // LaTeX products students paste; a letter right after (\\cdotx) makes it another command.
  var LATEX = ["\\cdot", "\\times", "\\ast"];

  function isDigit(c) { return c !== undefined && c >= "0" && c <= "9"; }
  function isLetter(c) { return /^[A-Za-z]$/.test(c); }

  function scanNumber(text, i, tokens) {
    NUMBER.lastIndex = i;
    var m = NUMBER.exec(text);
    var digits = m[1].replace(".", "").length;
    if (digits > LIMITS.digits) {
      throw refuse("number has too many digits (" + digits + "; limit " + LIMITS.digits + ")");
    }
    var power = 0;
    if (m[3] !== undefined) {
      var stripped = m[3].replace(/^0+/, "");
      if (stripped.length > 4 || Number(stripped) > LIMITS.exponent) {
        throw refuse("exponent in " + m[0] + " is too large (limit " + LIMITS.exponent + ")");
      }
      power = Number(stripped || "0");
    }
    var bits = (digits + power) * 3.33;
    if (bits > LIMITS.bits) {
      throw refuse("number too large: about " + bits.toFixed(0) + " bits (limit " + LIMITS.bits +
        ")");
    }
    tokens.push({ kind: "num", text: m[0] });
    var next = text[NUMBER.lastIndex];
    if (next === ".") throw refuse("a number can have only one decimal point");
    if (next === "_") throw refuse("'_' is not allowed in numbers; write 2000, not 2_000");
    return NUMBER.lastIndex;
  }

  function scanName(text, i, tokens) {
    NAME.lastIndex = i;
    var word = NAME.exec(text)[0];
    if (word.length > MAX_NAME) {
      throw refuse("name is too long (limit " + MAX_NAME + " characters)");
    }
    if (word.indexOf("__") >= 0) throw refuse("names containing '__' are not allowed");
    tokens.push({ kind: "name", text: word });
    if (text[NAME.lastIndex] === ".") {
      throw refuse("'.' after a name is not allowed (there is no attribute access)");
    }
    return NAME.lastIndex;
  }

  function latexAt(text, i) {
    for (var k = 0; k < LATEX.length; k++) {
      var command = LATEX[k];
      if (text.substr(i, command.length) === command && !isLetter(text[i + command.length])) {
        return command;
      }
    }
    return "";
  }

  // Tokens are scanned as the parser asks for them, as quizgen/math/tokens.py does, so of two
  // problems the one met first in reading order is named ("sinx]" is about sinx, not ']').
  function Tokens(text) {
    this.text = text;
    this.list = [];
    this.stack = [];
    this.i = 0;
    this.done = false;
  }

  Tokens.prototype = {
    get: function (index) {
      while (this.list.length <= index && !this.done) {
        if (this.i < this.text.length) {
          this.i = this.step(this.i);
        } else {
          this.finish();
          this.done = true;
        }
      }
      return this.list[Math.min(index, this.list.length - 1)];
    },
    finish: function () {
      if (this.stack.length) {
        var open = this.stack[this.stack.length - 1];
        throw refuse("'" + open + "' is never closed; expected '" + PAIRS[open] + "'");
      }
      this.list.push({ kind: "end", text: "" });
    },
    step: function (i) {
      var text = this.text;
      var tokens = this.list;
      var stack = this.stack;
      var c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") return i + 1;
      if (isDigit(c) || (c === "." && isDigit(text[i + 1]))) return scanNumber(text, i, tokens);
      if (isLetter(c)) return scanName(text, i, tokens);
      if (c in PAIRS) {
        tokens.push({ kind: "open", text: c });
        stack.push(c);
        if (stack.length > LIMITS.depth) {
          throw refuse("nesting deeper than " + LIMITS.depth + " levels");
        }
        return i + 1;
      }
      if (c in OPENERS) {
        if (!stack.length) {
          throw refuse("'" + c + "' has no matching '" + OPENERS[c] + "' before it");
        }
        var opener = stack.pop();
        if (opener !== OPENERS[c]) {
          throw refuse("expected '" + PAIRS[opener] + "' to close '" + opener + "', found '" +
            c + "'");
        }
        tokens.push({ kind: "close", text: c });
        return i + 1;
      }
      if (c === "*") {
        var width = text[i + 1] === "*" ? 2 : 1;
        tokens.push({ kind: "op", text: text.substr(i, width) });
        return i + width;
      }
      if (c === "!" && text[i + 1] === "!") {
        throw refuse("'!!' (double factorial) is not allowed; write factorial(n)");
      }
      if (c in SIMPLE) {
        tokens.push({ kind: SIMPLE[c], text: c });
        return i + 1;
      }
      var command = c === "\\" ? latexAt(text, i) : "";
      if (!command) throw refuse(REFUSED[c] || "character '" + c + "' is not allowed");
      tokens.push({ kind: "op", text: "*" });
      return i + command.length;
    }
  };


  function splitName(word, vocabulary, limit) {
    var ways = [];
    for (var k = 0; k < word.length; k++) ways.push([]);
    ways.push([[]]);
    for (var i = word.length - 1; i >= 0; i--) {
      for (var j = i + 1; j <= word.length; j++) {
        var piece = word.slice(i, j);
        if (!(piece in vocabulary)) continue;
        for (var r = 0; r < ways[j].length && ways[i].length < limit; r++) {
          ways[i].push([piece].concat(ways[j][r]));
        }
      }
    }
    return ways[0];
  }

  // A split as the student should type it: a function takes the pieces up to the next
  // function, ['sin', 'x', 'cos', 'x'] -> 'sin(x)*cos(x)' (quizgen/math/parser.py, _render).
  function render(pieces) {
    var out = [];
    var inside = null;
    pieces.forEach(function (piece) {
      if (piece in ARITY) {
        inside = [];
        out.push(piece);
      } else if (inside !== null) {
        inside.push(piece);
        out[out.length - 1] = out[out.length - 1].split("(")[0] + "(" + inside.join("*") + ")";
      } else {
        out.push(piece);
      }
    });
    return out.map(function (p) { return p in ARITY ? p + "(...)" : p; }).join("*");
  }

  function unknownCallMessage(word, unique) {
    var message = "function '" + word + "' is not allowed (allowed: " +
      Object.keys(ARITY).sort().join(", ") + ")";
    if (unique && unique[unique.length - 1] in ARITY) {
      return message + " — did you mean " + unique.slice(0, -1).join("*") + "*" +
        unique[unique.length - 1] + "(...)?";
    }
    if (unique) return message + " — did you mean " + unique.join("*") + "*(...)?";
    if (word.toLowerCase() in ARITY) {
      return message + " — names are case-sensitive: did you mean " + word.toLowerCase() + "?";
    }
    return message;
  }

  function arity(spec) {
    if (spec[0] === spec[1]) return spec[0] + (spec[0] === 1 ? " argument" : " arguments");
    if (spec[1] === Infinity) return "at least " + spec[0] + " arguments";
    return spec[0] + " or " + spec[1] + " arguments";
  }

  // Whether ``node`` is exactly the product a glued name token such as ``xh`` was split into.
  function glued(node, token) {
    return token.kind === "name" && node.t === "mul" && node.split === token;
  }

  // Whether a number as typed is a whole number >= 1 (the parser's numerator/denominator:
  // 2 and 1e3 and 5. are whole, 2.0 and 1e-3 are not).
  function wholePositive(text) {
    var m = /^(\d*)\.?(\d*)(?:[eE]([+-]?)(\d+))?$/.exec(text);
    var negative = m[3] === "-" && Number(m[4]) > 0;
    return m[2] === "" && !negative && /[1-9]/.test(m[1]);
  }

  function describe(token) {
    return token.kind === "end" ? "end of input" : "'" + token.text + "'";
  }

  function Parser(tokens, declared, text) {
    this.tokens = tokens;
    this.text = text;  // as typed (the case hint looks at every name in it)
    this.declared = declared;
    this.reserved = Object.assign(Object.create(null), ARITY, CONSTANTS);
    this.pos = 0;
    this.depth = -1;
    this.count = 0;
  }

  Parser.prototype = {
    peek: function (offset) {
      return this.tokens.get(Math.max(0, this.pos + (offset || 0)));
    },
    advance: function () {
      var token = this.peek();
      this.pos++;
      return token;
    },
    node: function (node) {
      if (++this.count > LIMITS.nodes) {
        throw refuse("expression is too long (more than " + LIMITS.nodes + " parts)");
      }
      return node;
    },
    isOp: function (token, ops) {
      return token.kind === "op" && ops.indexOf(token.text) >= 0;
    },
    parse: function () {
      if (this.peek().kind === "end") throw refuse("the input is empty — " + EXPECTED);
      var node = this.expr();
      var token = this.peek();
      if (token.kind === "comma") throw this.commaError();
      if (token.kind !== "end") {
        throw refuse("unexpected " + describe(token) + " — expected an operator");
      }
      return node;
    },
    expr: function () {
      var terms = [this.term()];
      while (this.isOp(this.peek(), ["+", "-"])) {
        var op = this.advance();
        var term = this.term();
        terms.push(op.text === "-" ? this.node({ t: "neg", x: term }) : term);
      }
      return terms.length === 1 ? terms[0] : this.node({ t: "add", terms: terms });
    },
    term: function () {
      var factors = [this.unary()];
      for (;;) {
        var token = this.peek();
        var factor;
        if (this.isOp(token, ["*", "/"])) {
          this.advance();
          factor = this.unary();
          if (token.text === "/") factor = this.node({ t: "inv", x: factor });
        } else if (["num", "name", "open", "root"].indexOf(token.kind) >= 0) {
          this.checkImplicit(token);
          factor = this.unary();
        } else {
          break;
        }
        factors.push(factor);
      }
      return factors.length === 1 ? factors[0] : this.node({ t: "mul", factors: factors });
    },
    checkImplicit: function (token) {
      var previous = this.peek(-1);
      if (previous.kind === "num" && token.kind === "num") {
        throw refuse("two numbers in a row (" + previous.text + " and " + token.text +
          ") — write '*' between them, and no spaces inside a number");
      }
      if (previous.kind === "name" && token.text === "[") {
        throw refuse("'[' right after '" + previous.text + "' looks like indexing, which is not " +
          "allowed; write " + previous.text + "*(...) to multiply");
      }
    },
    unary: function () {
      var token = this.peek();
      if (++this.depth > LIMITS.depth) {
        throw refuse("nesting deeper than " + LIMITS.depth + " levels");
      }
      var node;
      if (this.isOp(token, ["-", "+"]) || token.kind === "root") {
        this.advance();
        var operand = this.unary();
        if (token.text === "-") node = this.node({ t: "neg", x: operand });
        else if (token.kind === "root") {
          node = this.node({ t: "call", name: "sqrt", args: [operand] });
        }
        else node = operand;
      } else {
        node = this.power();
      }
      this.depth--;
      return node;
    },
    // A glued name (xy split into x*y) binds '^' and '!' to the letter next to it, as
    // textbooks do: xy^2 is x*y^2, f^Tc0 is f^T*c0, kn! is k*n!. Only the product made from
    // the very name token counts (glued() below): (xy)^2, x^(xy) and xy!^2 = (x*y!)^2 keep
    // their whole base or exponent, exactly as quizgen/math/parser.py compares spans.
    power: function () {
      var first = this.peek();
      var base = this.postfix(this.atom(), first);
      if (!this.isOp(this.peek(), ["^", "**"])) return base;
      this.advance();
      var expToken = this.peek();
      var exp = this.unary();
      var before = [];
      var after = [];
      if (glued(base, first)) {
        before = base.factors.slice(0, -1);
        base = base.factors[base.factors.length - 1];
      }
      if (glued(exp, expToken)) {
        after = exp.factors.slice(1);
        exp = exp.factors[0];
      }
      var power = this.node({ t: "pow", base: base, exp: exp });
      if (!before.length && !after.length) return power;
      return this.node({ t: "mul", factors: before.concat([power], after) });
    },
    // n! is factorial(n); a glued name's factorial is its last letter's (kn! is k*n!).
    postfix: function (node, first) {
      while (this.isOp(this.peek(), ["!"])) {
        var bang = this.advance();
        if (glued(node, first)) {
          var head = node.factors.slice(0, -1);
          var last = node.factors[node.factors.length - 1];
          var fact = this.node({ t: "call", name: "factorial", args: [last] });
          node = this.node({ t: "mul", factors: head.concat([fact]) });
        } else {
          node = this.node({ t: "call", name: "factorial", args: [node] });
        }
        first = bang;
      }
      return node;
    },
    atom: function () {
      var token = this.advance();
      if (token.kind === "num") return this.node({ t: "num", text: token.text, token: token });
      if (token.kind === "name") return this.name(token);
      if (token.kind === "open") {
        var inner = this.expr();
        this.expectClose(token);
        return inner;
      }
      throw refuse("unexpected " + describe(token) + " — " + EXPECTED);
    },
    expectClose: function (opener) {
      var token = this.peek();
      if (token.kind === "comma") throw this.commaError();
      if (token.kind !== "close") {
        throw refuse("unexpected " + describe(token) + " — expected '" + PAIRS[opener.text] +
          "'");
      }
      return this.advance();
    },
    commaError: function () {
      var message = "',' is only allowed between function arguments";
      var before = this.peek(-1);
      var after = this.peek(1);
      if (before.kind === "num" && after.kind === "num") {
        if (after.text.length === 3 && /^\d+$/.test(before.text) && /^\d+$/.test(after.text)) {
          return refuse(message + "; write " + before.text + after.text + " without separators");
        }
        return refuse(message + "; use '.' for decimals, e.g. " + before.text + "." + after.text);
      }
      return refuse(message);
    },
    name: function (token) {
      var word = token.text;
      if (word in this.declared) return this.node({ t: "sym", name: word });
      if (word in ARITY) return this.call(token);
      if (word in CONSTANTS) return this.node({ t: "const", name: word });
      return this.unknown(word, token);
    },
    call: function (name) {
      if (this.isOp(this.peek(), ["^", "**"])) return this.callPower(name);
      if (!this.nextIsParen()) {
        throw refuse("function '" + name.text + "' needs parentheses, e.g. " + name.text + "(x)");
      }
      return this.callArgs(name);
    },
    nextIsParen: function () {
      var token = this.peek();
      return token.kind === "open" && token.text === "(";
    },
    // tanh^2(x) and tanh\u00b2(x) are tanh(x)^2; only a whole positive number is taken, as
    // tanh^-1(x) could mean the inverse function.
    callPower: function (name) {
      this.advance();
      var exp = this.unary();
      if (exp.t !== "num" || !wholePositive(exp.text)) {
        throw refuse(name.text.charAt(0) === "a" ?
          "write " + name.text + "(x)^n for a power of " + name.text :
          "write " + name.text + "(x)^n for a power; for the inverse function write a" +
            name.text + "(x) or arc" + name.text + "(x)");
      }
      if (!this.nextIsParen()) {
        throw refuse("function '" + name.text + "' needs parentheses, e.g. " + name.text +
          "^2(x)");
      }
      return this.node({ t: "pow", base: this.callArgs(name), exp: exp });
    },
    callArgs: function (name) {
      var opener = this.advance();
      var args = [];
      if (this.peek().kind !== "close") {
        args.push(this.expr());
        while (this.peek().kind === "comma") {
          this.advance();
          args.push(this.expr());
        }
      }
      this.expectClose(opener);
      var spec = ARITY[name.text];
      if (args.length < spec[0] || args.length > spec[1]) {
        throw refuse(name.text + "() takes " + arity(spec) + " (" + args.length + " given)");
      }
      return this.node({ t: "call", name: name.text, args: args });
    },
    unknown: function (word, token) {
      var vocabulary = Object.assign(Object.create(null), this.declared, this.reserved);
      var ways = splitName(word, vocabulary, 2);
      var unique = ways.length === 1 ? ways[0] : null;
      var declared = this.declared;
      // 'exec' as e*x*e*c is no useful hint (only constants count: a bank may declare 'root'
      // and 'sign', and then 'rootsign' is root*sign).
      if (unique && unique.filter(function (p) { return p in CONSTANTS; }).length > 1) {
        ways = [];
        unique = null;
      }
      if (unique && unique.every(function (p) { return p in declared; })) {
        var self = this;
        var factors = unique.map(function (p) { return self.node({ t: "sym", name: p }); });
        return this.node({ t: "mul", factors: factors, split: token });
      }
      var hint = this.caseHint(word);
      if (hint) throw refuse(hint);
      if (this.nextIsParen()) throw refuse(unknownCallMessage(word, unique));
      throw refuse(this.unknownMessage(word, ways));
    },
    // 4H(X+H+1) with h, x declared: "names are case-sensitive: did you mean h and x?".
    caseHint: function (word) {
      var declared = this.declared;
      var reserved = this.reserved;
      var folded = Object.create(null);
      var names = Object.keys(declared);
      names.forEach(function (name) { folded[name.toLowerCase()] = name; });
      if (Object.keys(folded).length !== names.length || word in reserved) return null;
      function meant(name) {
        if (name in declared || name in reserved) return null;
        var ways = splitName(name.toLowerCase(), folded, 2);
        if (ways.length !== 1) return null;
        var found = ways[0].map(function (p) { return folded[p]; });
        return found.join("") !== name ? found : null;
      }
      if (!meant(word)) return null;
      var found = [];
      (this.text.match(/[A-Za-z][A-Za-z0-9_]*/g) || []).forEach(function (other) {
        (meant(other) || []).forEach(function (name) {
          if (found.indexOf(name) < 0) found.push(name);
        });
      });
      return "names are case-sensitive: did you mean " + found.join(" and ") +
        "? (variables: " + names.sort().join(", ") + ")";
    },
    unknownMessage: function (word, ways) {
      // The first factor of a rendered product: sin(x*h)*y gives sin(x*h).
      function firstFactor(product) {
        var depth = 0;
        for (var i = 0; i < product.length; i++) {
          if (product[i] === "(") depth++;
          else if (product[i] === ")") depth--;
          else if (product[i] === "*" && depth === 0) return product.slice(0, i);
        }
        return product;
      }
      var names = Object.keys(this.declared).sort();
      var listed = names.slice(0, 20).join(", ") + (names.length > 20 ? ", \u2026" : "");
      var message = "unknown name '" + word + "' (known: " + (listed || "none") + ")";
      if (ways.length === 1) {
        var way = ways[0];
        var called = way.filter(function (p) { return p in ARITY; });
        if (called.length && way.length > 1) {
          var first = firstFactor(render(way.slice(way.indexOf(called[0]))));
          return message + " — did you mean " + render(way) + "? (write " + first +
            ", with parentheses)";
        }
        return message + " — did you mean " + render(way) + "?";
      }
      if (ways.length > 1) {
        return message + " — it could mean " + ways.map(render).join(" or ") + "; write the '*'";
      }
      var reserved = Object.keys(this.reserved).sort();
      var matches = names.concat(reserved).filter(function (n) {
        return n.toLowerCase() === word.toLowerCase();
      });
      if (matches.length) {
        return message + " — names are case-sensitive: did you mean " + matches[0] + "?";
      }
      return message;
    }
  };

  // The reading in plain text, with every '*' written out and the brackets that matter.
  var ATOMS = table(["num", "sym", "const", "call"]);

  function linear(node) {
    switch (node.t) {
      case "num": return node.text;
      case "sym": case "const": return node.name;
      case "call": return node.name + "(" + node.args.map(linear).join(", ") + ")";
      case "neg": return "-" + wrapped(node.x, table(["add", "mul"]));
      case "pow": return wrapped(node.base, null) + "^" + wrapped(node.exp, null);
      case "add":
        return node.terms.map(function (term, i) {
          if (i === 0) return wrapped(term, table(["add"]));
          if (term.t === "neg") return " - " + wrapped(term.x, table(["add"]));
          return " + " + wrapped(term, table(["add"]));
        }).join("");
      case "mul":
        return node.factors.map(function (factor, i) {
          if (factor.t === "inv") return "/" + wrapped(factor.x, table(["add", "mul", "neg"]));
          var wrap = table(i === 0 ? ["add", "mul"] : ["add", "mul", "neg"]);
          return (i === 0 ? "" : "*") + wrapped(factor, wrap);
        }).join("");
    }
    return "?";
  }

  // ``bracketed`` lists the node types that need brackets here; null: all but atoms.
  function wrapped(node, bracketed) {
    var needs = bracketed === null ? !(node.t in ATOMS) : node.t in bracketed;
    return needs ? "(" + linear(node) + ")" : linear(node);
  }

  // What the grader strips before it parses (quizgen/grade/expression.py, _as_typed): an
  // equation's left side when it is a plain name (P = 4h(x+h+1) is graded by its right side)
  // and a final full stop not after a digit (x + 1. is x + 1; 2. is the number 2). Both become
  // spaces, so the length stays. WHITE is Python's str whitespace (its regex \s), not JS's.
  var WHITE = "[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";
  var EQUATION = new RegExp("^" + WHITE + "*([A-Za-z][A-Za-z0-9_]*)" + WHITE + "*=(?!=)");
  var TRAILING_STOP = new RegExp("^\\." + WHITE + "*$");
  var BLANK = new RegExp("^" + WHITE + "*$");

  function spaces(count) { return new Array(count + 1).join(" "); }

  function asTyped(text) {
    var name = null;
    var m = EQUATION.exec(text);
    if (m) {
      name = m[1];
      text = spaces(m[0].length) + text.slice(m[0].length);
    }
    // The first '.' (not after a digit) followed by nothing but white space.
    for (var i = 0; i < text.length; i++) {
      if (text[i] !== "." || isDigit(text[i - 1])) continue;
      if (!TRAILING_STOP.test(text.slice(i))) continue;
      if (!BLANK.test(text.slice(0, i))) text = text.slice(0, i) + spaces(text.length - i);
      break;
    }
    return { text: text, name: name };
  }

  /**
   * How the grader reads ``text`` with the declared ``names``. Returns {ok: true, tree, text,
   * name} (``name``: an equation's left side, or null; ``tree`` and ``text``: what is graded)
   * or {ok: false, message}.
   */
  function readExpression(text, names) {
    try {
      var length = Array.from(text).length;
      if (length > LIMITS.length) {
        throw refuse("the input is too long (" + length + " characters; limit " + LIMITS.length +
          ")");
      }
      var typed = asTyped(text);
      var tree = new Parser(new Tokens(normalize(typed.text)), table(names), typed.text).parse();
      checkValues(tree);
      return { ok: true, tree: tree, text: linear(tree), name: typed.name };
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, message: error.message };
      if (error instanceof RangeError) return { ok: false, message: "nested too deeply" };
      throw error;
    }
  }

  // A few value checks of quizgen/math/build.py that need no arithmetic, on numbers as typed:
  // factorial, binomial and nCr of a number need a whole number of at most 1000 (3.5!, 1001!),
  // the degree of root() is a whole number from 1 to 16, and a division by a typed 0. Every
  // other value (1/(1-1), sqrt(-4), exp(10^9)) is left to the grader.
  var WHOLE_ARGS = table(["factorial", "binomial", "nCr"]);

  function valueOf(text) {
    var m = /^(\d*)\.?(\d*)(?:[eE]([+-]?)(\d+))?$/.exec(text);
    var digits = (m[1] + m[2]).replace(/^0+/, "");
    var shift = (m[3] === "-" ? -1 : 1) * Number(m[4] || 0) - m[2].length;
    // Whole when the digits after the decimal point, once shifted, are all zeros (5.0, 1e3).
    var whole = digits === "" || shift >= 0 ||
      (digits.length > -shift && /^0*$/.test(digits.slice(shift)));
    return { whole: whole, zero: digits === "", size: Number(text) };
  }

  function checkValues(node) {
    var children = node.t === "call" ? node.args : node.t === "add" ? node.terms :
      node.t === "mul" ? node.factors : node.t === "pow" ? [node.base, node.exp] :
        node.x ? [node.x] : [];
    children.forEach(checkValues);  // the grader builds the parts first
    if (node.t === "inv" && node.x.t === "num" && valueOf(node.x.text).zero) {
      throw refuse("the expression is undefined (division by zero)");
    }
    if (node.t !== "call") return;
    if (node.name in WHOLE_ARGS) {
      node.args.forEach(function (arg) {
        var value = arg.t === "num" ? valueOf(arg.text) : null;
        if (value && (!value.whole || value.size > 1000)) {
          throw refuse(node.name + "() of a number needs a whole number of at most 1000");
        }
      });
    }
    if (node.name === "root" && node.args[1].t === "num") {
      var degree = valueOf(node.args[1].text);
      if (!degree.whole || degree.size < 1 || degree.size > 16) {
        throw refuse("the degree of root() must be a whole number from 1 to 16");
      }
    }
  }

  // ---- reading a number (docs/grading.md, "Numeric answers"; quizgen/grade/numeric.py) ----

  var SAME_LENGTH = Object.create(null);
  SAME_LENGTH["\u2212"] = "-";
  SAME_LENGTH["\u2009"] = " ";
  SAME_LENGTH["\u202f"] = " ";
  SAME_LENGTH["\u00a0"] = " ";
  "0123456789+-.,/".split("").forEach(function (c) {
    SAME_LENGTH[String.fromCharCode(c.charCodeAt(0) + 0xfee0)] = c;
  });
  var SUPER_DIGITS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079";
  var EXP = "(\\( *[+-]?[0-9]+ *\\)|[+-]?[0-9]+)";
  var TIMES = " *[\u00d7x*\u00b7\u22c5] *10";
  var NUMERIC = new RegExp(
    "^([+-])? *(?:(10) *(?:\\^|\\*\\*) *" + EXP +
    "|([0-9](?:[0-9 ,]*[0-9])?)?(?:(\\.)([0-9](?:[0-9 ]*[0-9])?)?)?" +
    "(?:[eE]([+-]?[0-9]+)|" + TIMES + " *(?:\\^|\\*\\*) *" + EXP +
    "|" + TIMES + "([\u207b\u207a]?[" + SUPER_DIGITS + "]+))?)$");
  var FRACTION = /^([+-])? *([0-9]+) *\/ *([0-9]+)$/;
  var FRACTION_LIKE = /^[\s\d.,+\-/eE]+$/;
  var NOT_FINITE = table(["nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity",
    "\u221e", "-\u221e"]);

  function grouped(part, decimals) {
    var seps = [",", " "];
    for (var s = 0; s < seps.length; s++) {
      var sep = seps[s];
      if (part.indexOf(sep) < 0) continue;
      if (part.indexOf(sep === "," ? " " : ",") >= 0) {
        throw refuse("mixed digit separators; write the digits together");
      }
      var groups = part.split(sep);
      var inner = decimals ? groups.slice(0, -1) : groups.slice(1);
      var outer = decimals ? groups[groups.length - 1] : groups[0];
      var uneven = inner.some(function (g) { return g.length !== 3; });
      if (uneven || outer.length < 1 || outer.length > 3) {
        throw refuse(sep === "," ?
          "a comma can only separate thousands (20,362); write decimals with a point (3.14)" :
          "a space can only separate groups of three digits (20 362)");
      }
      return part.split(sep).join("");
    }
    return part;
  }

  function exponentOf(text) {
    if (!text) return 0;
    var digits = Array.from(text.replace(/[() ]/g, "")).map(function (c) {
      if (c === "\u207a") return "+";
      if (c === "\u207b") return "-";
      return SUPER_DIGITS.indexOf(c) >= 0 ? String(SUPER_DIGITS.indexOf(c)) : c;
    }).join("");
    if (digits.replace(/^[+-]+/, "").replace(/^0+/, "").length > 6) {
      throw refuse("exponent too large (at most 1000)");
    }
    return parseInt(digits, 10);
  }

  /**
   * How the grader reads a numeric answer. Returns {ok: true, sign, digits, scale, shown} (the
   * value is sign × digits × 10^scale) or {ok: false, message}.
   */
  function readNumber(original, unit, fractions) {
    try {
      var text = Array.from(original).map(function (c) { return SAME_LENGTH[c] || c; }).join("");
      var body = text;
      if (unit) {
        var trimmed = text.replace(/\s+$/, "");
        if (trimmed.endsWith(unit) && trimmed.slice(0, -unit.length).trim()) {
          body = trimmed.slice(0, -unit.length);
        }
      }
      body = body.trim();
      if (body.toLowerCase() in NOT_FINITE) throw refuse("not a finite number");
      if (!body) throw refuse("no number given");
      if (body.indexOf("/") >= 0 && FRACTION_LIKE.test(body)) return readFraction(body, fractions);
      var m = NUMERIC.exec(body);
      if (!m || !(m[2] || m[4] || m[6])) throw refuse("not a number in a form the grader reads");
      return numberFrom(m);
    } catch (error) {
      if (error instanceof Refusal) return { ok: false, message: error.message };
      throw error;
    }
  }

  function readFraction(body, allowed) {
    if (!allowed) throw refuse("fractions are not accepted here; give a decimal number");
    var m = FRACTION.exec(body);
    if (!m) throw refuse("a fraction is written as two whole numbers: 3/4");
    if (m[2].length + m[3].length > 100) throw refuse("too many digits (at most 100)");
    if (/^0+$/.test(m[3])) throw refuse("division by zero");
    var sign = m[1] === "-" ? -1 : 1;
    var num = m[2].replace(/^0+(?=\d)/, "");
    var den = m[3].replace(/^0+(?=\d)/, "");
    return { ok: true, sign: sign, numerator: num, denominator: den,
      shown: (sign < 0 ? "\u2212" : "") + num + "/" + den };
  }

  function numberFrom(m) {
    var sign = m[1] === "-" ? -1 : 1;
    var whole, frac, exponent, point;
    if (m[2]) {
      exponent = exponentOf(m[3]);
      whole = "1";
      frac = "";
      point = false;
    } else {
      whole = grouped(m[4] || "", false);
      frac = grouped(m[6] || "", true);
      exponent = exponentOf(m[7] || m[8] || m[9]);
      point = Boolean(m[5]);
    }
    if (whole.length + frac.length > 100) throw refuse("too many digits (at most 100)");
    if (Math.abs(exponent) > 1000) throw refuse("exponent too large (at most 1000)");
    var mantissa = (whole || "0") + (point ? "." + frac : "");
    var shown = (sign < 0 ? "\u2212" : "") + (m[2] ? "10^" + exponent :
      mantissa + (exponent ? " \u00d7 10^" + exponent : ""));
    return { ok: true, sign: sign, numerator: ((whole || "0") + frac).replace(/^0+(?=\d)/, ""),
      denominator: "1", scale: exponent - frac.length, shown: shown };
  }

  // ---- showing a reading as MathML ----

  var MATHML = "http://www.w3.org/1998/Math/MathML";

  function math(name, children) {
    var element = document.createElementNS(MATHML, name);
    (children || []).forEach(function (child) {
      element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return element;
  }
  function mo(text) { return math("mo", [text]); }
  function row(children) { return math("mrow", children); }
  function brackets(element) { return row([mo("("), element, mo(")")]); }

  var SHOWN_NAMES = { pi: "\u03c0", e: "e" };
  var FENCES = Object.create(null);
  FENCES.abs = ["|", "|"];
  FENCES.floor = ["\u230a", "\u230b"];
  FENCES.ceil = ["\u2308", "\u2309"];

  function show(node) {
    switch (node.t) {
      case "num": {
        var parts = node.text.split(/[eE]/);
        if (parts.length === 1) return math("mn", [node.text]);
        return row([math("mn", [parts[0]]), mo("\u00d7"),
          math("msup", [math("mn", ["10"]), math("mn", [parts[1].replace("-", "\u2212")])])]);
      }
      case "sym": return math("mi", [node.name]);
      case "const": return math("mi", [SHOWN_NAMES[node.name]]);
      case "neg": return row([mo("\u2212"), showIn(node.x, ["add"])]);
      case "pow": {
        var base = node.base.t in ATOMS && !/[eE]/.test(node.base.text || "") ? show(node.base) :
          brackets(show(node.base));
        return math("msup", [base, show(node.exp)]);
      }
      case "add": {
        var items = [];
        node.terms.forEach(function (term, i) {
          if (i > 0) items.push(mo(term.t === "neg" ? "\u2212" : "+"));
          var shown = i > 0 && term.t === "neg" ? term.x : term;
          items.push(showIn(shown, ["add"]));
        });
        return row(items);
      }
      case "mul": return showProduct(node.factors);
      case "call": return showCall(node);
    }
    return mo("?");
  }

  function showIn(node, bracketed) {
    return bracketed.indexOf(node.t) >= 0 ? brackets(show(node)) : show(node);
  }

  // Left to right, as the grader reads it: a/b c is (a/b)·c, and 1/2x is x/2.
  function showProduct(factors) {
    var items = [showIn(factors[0], ["add"])];
    for (var i = 1; i < factors.length; i++) {
      var factor = factors[i];
      if (factor.t === "inv") {
        items = [math("mfrac", [row(items), show(factor.x)])];
      } else {
        items.push(mo("\u00b7"), showIn(factor, ["add", "neg"]));
      }
    }
    return items.length === 1 ? items[0] : row(items);
  }

  // How textbooks write them: n!, log_b(x), the n-th root sign, (n over k).
  var LOG_BASES = { log10: "10", log2: "2" };
  var SIMPLE_OPERAND = table(["sym", "const", "call"]);

  function showCall(node) {
    var args = node.args.map(show);
    var name = node.name;
    if (name === "sqrt") return math("msqrt", args);
    if (name === "cbrt") return math("mroot", [args[0], math("mn", ["3"])]);
    if (name === "root") return math("mroot", args);
    if (name === "factorial") {
      var operand = node.args[0];
      var plain = operand.t in SIMPLE_OPERAND ||
        (operand.t === "num" && !/[eE]/.test(operand.text));
      return row([plain ? args[0] : brackets(args[0]), mo("!")]);
    }
    if (name === "binomial" || name === "nCr") {
      var stacked = math("mfrac", args);
      stacked.setAttribute("linethickness", "0");
      return brackets(stacked);
    }
    if (name in LOG_BASES || (name === "log" && args.length === 2)) {
      var base = name === "log" ? args[1] : math("mn", [LOG_BASES[name]]);
      return row([math("msub", [math("mi", ["log"]), base]), brackets(args[0])]);
    }
    var fence = FENCES[name];
    if (fence) return row([mo(fence[0]), args[0], mo(fence[1])]);
    var inner = [];
    args.forEach(function (arg, i) {
      if (i > 0) inner.push(mo(","));
      inner.push(arg);
    });
    return row([math("mi", [node.name]), mo("("), row(inner), mo(")")]);
  }

  window.quizgenReading = { expression: readExpression, number: readNumber };

  // ---- the page: inputs, saving, restoring, downloading ----

  var data = document.getElementById("quizgen-submission");
  var described = document.getElementById("quizgen-fields");
  if (!data || !described) return;
  var template = JSON.parse(data.textContent);
  var fileName = data.getAttribute("data-file") || "answers.json";
  var storageKey = "quizgen/" + template.exam + "/" + template.student_id;
  var stateLine = document.getElementById("save-state");
  var progressLine = document.getElementById("progress");

  // One record per answer field: its element and what the submission and the reading need.
  var fields = JSON.parse(described.textContent).map(function (row) {
    return { element: document.getElementById("a" + row[0]), question: row[1], part: row[2],
      kind: row[3], unit: row[4], fractions: row[5], names: row[6] };
  }).filter(function (field) { return field.element; });
  var byId = Object.create(null);
  fields.forEach(function (field) { byId[field.element.id] = field; });

  function fieldOf(element) {
    var found = element.closest(".answer-input, .answer-box, fieldset.options");
    return found ? byId[found.id] : undefined;
  }

  function choices(field) {
    return Array.prototype.slice.call(field.element.querySelectorAll("input"));
  }

  // What the submission file gets: text as typed (null when blank), a label, labels, a boolean.
  function answerOf(field) {
    var element = field.element;
    if (element.tagName !== "FIELDSET") return element.value.trim() ? element.value : null;
    var picked = choices(field).filter(function (i) { return i.checked; })
      .map(function (i) { return i.value; });
    if (field.kind === "multi") return picked.length ? picked : null;
    if (!picked.length) return null;
    return field.kind === "truefalse" ? picked[0] === "true" : picked[0];
  }

  // What this browser keeps: the same, but text exactly as typed (spaces too).
  function keptOf(field) {
    return field.element.tagName === "FIELDSET" ? answerOf(field) : field.element.value;
  }

  function setField(field, value) {
    if (field.element.tagName !== "FIELDSET") {
      field.element.value = typeof value === "string" ? value : "";
      return;
    }
    var wanted = value === null || value === undefined ? [] :
      Array.isArray(value) ? value.map(String) : [String(value)];
    choices(field).forEach(function (input) { input.checked = wanted.indexOf(input.value) >= 0; });
  }

  function answers(valueOf) {
    var out = JSON.parse(JSON.stringify(template.answers || {}));
    fields.forEach(function (field) {
      var value = valueOf(field);
      if (!field.part) {
        out[field.question] = value;
      } else {
        var parts = out[field.question];
        if (!parts || typeof parts !== "object") parts = out[field.question] = {};
        parts[field.part] = value;
      }
    });
    return out;
  }

  function lookup(stored, field) {
    if (!stored || typeof stored !== "object") return undefined;
    var value = stored[field.question];
    if (!field.part) return value;
    return value && typeof value === "object" && !Array.isArray(value) ?
      value[field.part] : undefined;
  }

  function clock(date) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function state(text, kind) {
    if (stateLine.textContent !== text) stateLine.textContent = text;
    stateLine.className = "save-state" + (kind ? " is-" + kind : "");
  }

  function progress() {
    var done = fields.filter(function (field) { return answerOf(field) !== null; }).length;
    progressLine.textContent = done + " of " + fields.length + " answered";
  }

  var storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(storageKey);
  } catch (error) {
    storage = null;
  }

  function save() {
    progress();
    if (!storage) {
      state("Not saved: this browser keeps nothing for this page. Download your answers " +
        "before you close it.", "error");
      return;
    }
    var record = { answers: answers(keptOf), saved: new Date().toISOString() };
    try {
      storage.setItem(storageKey, JSON.stringify(record));
      state("Saved in this browser at " + clock(new Date()), "saved");
    } catch (error) {
      state("Not saved (" + error.name + "). Download your answers before you close the page.",
        "error");
    }
  }

  function restore(message) {
    var record = null;
    try {
      record = storage && JSON.parse(storage.getItem(storageKey) || "null");
    } catch (error) {
      record = null;
    }
    if (!record || typeof record !== "object") return;
    fields.forEach(function (field) {
      var value = lookup(record.answers, field);
      if (value !== undefined) setField(field, value);
    });
    var when = new Date(record.saved);
    state((message || "Answers restored from this browser") +
      (isNaN(when) ? "." : " (saved at " + clock(when) + ")."), "saved");
    fields.forEach(showReading);
    progress();
  }

  function showReading(field) {
    var target = document.getElementById(field.element.id + "-read");
    if (!target) return;
    var text = field.element.value;
    target.textContent = "";
    target.className = "reading";
    if (!text.trim()) return;
    var reading = field.kind === "expression" ? readExpression(text, field.names) :
      readNumber(text, field.unit, field.fractions);
    if (!reading.ok) {
      target.className = "reading is-error";
      target.textContent = "Cannot read this yet: " + reading.message + ".";
      return;
    }
    target.appendChild(document.createTextNode("Read as "));
    if (reading.tree) {
      // An equation P = ... is graded by its right side; its left side is shown as typed.
      var shown = math("math", reading.name === null ? [show(reading.tree)] :
        [math("mi", [reading.name]), mo("="), show(reading.tree)]);
      shown.setAttribute("aria-label",
        (reading.name === null ? "" : reading.name + " = ") + reading.text);
      target.appendChild(shown);
    } else {
      var number = document.createElement("span");
      number.className = "read-number";
      number.textContent = reading.shown;
      target.appendChild(number);
    }
  }

  function download() {
    var submission = {};
    Object.keys(template).forEach(function (key) { submission[key] = template[key]; });
    submission.answers = answers(answerOf);
    // When it was downloaded: of two files from one student, `quizgen grade` takes the later.
    submission.submitted_at = new Date().toISOString();
    var text = JSON.stringify(submission, null, 2) + "\n";
    var url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
    state("Downloaded " + fileName + " at " + clock(new Date()) + ": hand in that file.", "saved");
  }

  function changed(event) {
    var field = fieldOf(event.target);
    if (!field) return;
    showReading(field);
    save();
  }

  document.getElementById("answer-bar").hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll("button.clear"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      setField(fieldOf(button), null);
      save();
    });
  });
  document.getElementById("download").addEventListener("click", download);
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  // The same paper open in another tab: take its answers, so neither tab overwrites the other's.
  window.addEventListener("storage", function (event) {
    if (event.key === storageKey) restore("Answers updated from another tab");
  });
  restore();
  fields.forEach(showReading);
  progress();
})();

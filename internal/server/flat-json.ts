// A parser for the only JSON documents keyfront accepts as request bodies: one flat object whose
// values are scalars (every KES request body is a few strings; kes-api.md §3.6, §7.10). It reads
// exactly the grammar of RFC 8259 for such objects — the same escapes, surrogate pairs and
// whitespace as JSON.parse — and refuses what JSON.parse would silently allow at a cost: nested
// objects or arrays (rejected at their first byte, so no input can make it recurse or allocate a
// tree) and duplicate field names (JSON.parse lets the last one win). Single pass, linear time,
// no recursion. Pure. Error details name the problem and the offset, never a value.

export class FlatJsonError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = "FlatJsonError";
  }
}

export type FlatScalar = string | number | boolean | null;
/** The object's members in document order; `null` for a top-level JSON `null`. */
export type FlatObject = ReadonlyArray<readonly [string, FlatScalar]> | null;

/** A run of string characters that need no attention: no quote, backslash or control char. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON forbids them raw in a string
const PLAIN = /[^"\\\x00-\x1f]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** A field name cut to 64 characters for an error detail (the header writer escapes it). */
export function shortName(name: string): string {
  return name.length <= 64 ? name : Array.from(name).slice(0, 64).join("");
}

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    const at = this.i >= this.s.length ? "at the end of the body" : `at offset ${this.i}`;
    throw new FlatJsonError(`malformed JSON: ${what} ${at}`);
  }

  skipSpace(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  expect(ch: string, what: string): void {
    if (this.s[this.i] !== ch) this.fail(what);
    this.i++;
  }

  literal(word: string): void {
    if (!this.s.startsWith(word, this.i)) this.fail("invalid literal");
    this.i += word.length;
  }

  string(): string {
    this.expect('"', "expected a string");
    const s = this.s;
    let out = "";
    let start = this.i;
    for (;;) {
      PLAIN.lastIndex = this.i;
      PLAIN.test(s); // always matches (possibly empty): skips the run of ordinary characters
      this.i = PLAIN.lastIndex;
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        out += s.slice(start, this.i++);
        return out;
      }
      if (Number.isNaN(c)) this.fail("unterminated string");
      if (c < 0x20) this.fail("control character in a string");
      out += s.slice(start, this.i);
      const e = s[this.i + 1] ?? "";
      if (e === "u") {
        const hex = s.slice(this.i + 2, this.i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("invalid \\u escape");
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 6;
      } else {
        const v = Object.hasOwn(ESCAPES, e) ? ESCAPES[e] : undefined;
        if (v === undefined) this.fail("invalid escape");
        out += v;
        this.i += 2;
      }
      start = this.i;
    }
  }

  scalar(name: string): FlatScalar {
    const c = this.s[this.i];
    if (c === '"') return this.string();
    if (c === "{" || c === "[") {
      throw new FlatJsonError(
        `field '${shortName(name)}' holds a nested ${c === "{" ? "object" : "array"}; only strings are accepted`,
      );
    }
    if (c === "n" || c === "t" || c === "f") {
      const word = c === "n" ? "null" : c === "t" ? "true" : "false";
      this.literal(word);
      return c === "n" ? null : c === "t";
    }
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (m === null) this.fail("expected a value");
    this.i += m[0].length;
    return Number(m[0]);
  }
}

/** Parses `text` as a flat JSON object (or `null`); anything else throws FlatJsonError. */
export function parseFlatJson(text: string): FlatObject {
  const r = new Reader(text);
  r.skipSpace();
  const first = text[r.i];
  if (first === undefined) {
    throw new FlatJsonError(
      text.length === 0 ? "request body is empty" : "malformed JSON: no value",
    );
  }
  let result: FlatObject;
  if (first === "n") {
    r.literal("null");
    result = null;
  } else if (first === "{") {
    result = members(r);
  } else {
    throw new FlatJsonError("request body must be a JSON object");
  }
  r.skipSpace();
  if (r.i < text.length) r.fail("unexpected data after the object");
  return result;
}

const SCAN_MAX = 8;

function scanHas(members: ReadonlyArray<readonly [string, FlatScalar]>, name: string): boolean {
  for (let i = 0; i < members.length; i++) if (members[i]?.[0] === name) return true;
  return false;
}

function members(r: Reader): Array<readonly [string, FlatScalar]> {
  const out: Array<readonly [string, FlatScalar]> = [];
  // Duplicates: a scan of the few names so far (request bodies have two or three), a Set once
  // there are many, so a large body cannot make the check quadratic.
  let seen: Set<string> | undefined;
  r.i++; // "{"
  r.skipSpace();
  if (r.s[r.i] === "}") {
    r.i++;
    return out;
  }
  for (;;) {
    r.skipSpace();
    const name = r.string();
    if (seen === undefined && out.length >= SCAN_MAX) seen = new Set(out.map(([n]) => n));
    if (seen === undefined ? scanHas(out, name) : seen.has(name)) {
      throw new FlatJsonError(`duplicate field '${shortName(name)}'`);
    }
    seen?.add(name);
    r.skipSpace();
    r.expect(":", "expected ':'");
    r.skipSpace();
    out.push([name, r.scalar(name)]);
    r.skipSpace();
    if (r.s[r.i] === "}") {
      r.i++;
      return out;
    }
    r.expect(",", "expected ',' or '}'");
  }
}

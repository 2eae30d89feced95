// Glob patterns of `keyfront migrate` (Go `filepath.Match` syntax, kes-api.md §11.4): `*` any run
// of characters, `?` one character, `[a-z]` / `[^a-z]` classes, `\` escapes. Pure: no I/O.

import { UsageError } from "./output.js";

const SPECIAL = /[*?[\\]/;

/** The literal text before the first special character: the listing prefix to ask the store for. */
export function literalPrefix(pattern: string): string {
  const i = pattern.search(SPECIAL);
  return i === -1 ? pattern : pattern.slice(0, i);
}

const escapeRegex = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

/** Converts a glob to an anchored RegExp; a malformed pattern is a usage error. */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*") out += ".*";
    else if (c === "?") out += ".";
    else if (c === "\\") {
      const next = pattern[++i];
      if (next === undefined) throw new UsageError(`invalid pattern '${pattern}': trailing '\\'`);
      out += escapeRegex(next);
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end === -1) throw new UsageError(`invalid pattern '${pattern}': unclosed '['`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith("^") || body.startsWith("!");
      if (negate) body = body.slice(1);
      if (body === "") throw new UsageError(`invalid pattern '${pattern}': empty class`);
      out += `[${negate ? "^" : ""}${body.replace(/[\]\\^]/g, "\\$&")}]`;
      i = end;
    } else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, "s");
}

export function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern).test(name);
}

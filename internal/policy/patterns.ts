// Listing-pattern validation and prefix derivation (kes-api.md §13.1, §3.6, §3.7). Pure.
// Must never accept a pattern that could reach a keystore with characters outside the name set.

import { MAX_NAME_BYTES } from "../limits.js";

const PATTERN_CHARS = /^[0-9A-Za-z_-]*\*?$/;

/**
 * A listing pattern: empty, `*`, or up to 80 name characters where `*` may only be the last
 * character; `-` may be neither the first nor the very last character; `_` alone is invalid.
 */
export function isValidPattern(pattern: string): boolean {
  if (pattern === "" || pattern === "*") return true;
  if (pattern.length > MAX_NAME_BYTES || !PATTERN_CHARS.test(pattern)) return false;
  if (pattern === "_" || pattern.startsWith("-") || pattern.endsWith("-")) return false;
  return true;
}

/**
 * The name prefix a listing pattern selects. keyfront strips one trailing `*` for keys as well
 * (KES compat fix: HEAD does not for keys, kes-api.md §3.6, §15), so `my-key*` lists `my-key…`.
 */
export function prefixOfPattern(pattern: string): string {
  return pattern.endsWith("*") ? pattern.slice(0, -1) : pattern;
}

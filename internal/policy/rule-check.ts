// Finds policy patterns that can never match a request path under keyfront's matcher
// (kes-api.md §6.2: a trailing `*` is a prefix match, anything else is compared exactly with the
// decoded, cleaned path). Such a pattern is almost always a KES ≤ v0.22 `path.Match` glob
// (`/v1/key/*/secret-*`) or a typo; the config loader refuses it in `deny` (fail closed: a deny
// that matches nothing denies nothing) and warns about it in `allow`. Pure: no I/O, no logging.

/** Characters that were glob syntax under `path.Match` and are compared literally here. */
const GLOB_CHARS = ["?", "[", "]", "\\"] as const;

/** A cleaned request path never holds an empty, `.` or `..` segment (kes-api.md §1.3). */
const UNCLEAN = /\/\/|\/\.\.?(?:\/|$)/;

/**
 * Why `pattern` can never match any request path, or undefined when it can. `*` alone (every
 * path) and `/…*` prefixes are fine; the reason is one sentence fit for `file:line path: …`.
 */
export function whyPatternNeverMatches(pattern: string): string | undefined {
  if (pattern === "") return "an empty pattern never matches";
  if (pattern === "*") return undefined;
  if (!pattern.startsWith("/")) {
    // KES compat, kes-api.md §10.1: patterns are never expanded from the environment.
    const why = pattern.includes("${")
      ? " (policy patterns are not expanded from the environment)"
      : "";
    return `pattern '${pattern}' never matches: a request path always starts with '/'${why}`;
  }
  const star = pattern.indexOf("*");
  if (star >= 0 && star < pattern.length - 1) {
    return `pattern '${pattern}' never matches: '*' is a wildcard only as the last character (a prefix match) and is compared literally elsewhere (KES ≤ v0.22 path.Match globs are not supported)`;
  }
  const glob = GLOB_CHARS.find((c) => pattern.includes(c));
  if (glob !== undefined) {
    return `pattern '${pattern}' never matches: '${glob}' is compared literally, it is not glob syntax (KES ≤ v0.22 path.Match globs are not supported)`;
  }
  const body = star >= 0 ? pattern.slice(0, -1) : pattern;
  // A prefix may end in "/." ("/.x" is a clean path), so only its inner segments are checked.
  if (UNCLEAN.test(star >= 0 ? `${body}x` : body)) {
    return `pattern '${pattern}' never matches: request paths are cleaned and never hold '//', '.' or '..' segments`;
  }
  return undefined;
}

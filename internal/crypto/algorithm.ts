// Secret key algorithms and the names KES accepts for them (kes-api.md §7.1).
// Pure: no I/O. Must never accept a name KES rejects (matching is case-sensitive, as in KES).

/** The two secret key types; also the name `describe` reports. */
export type Algorithm = "AES256" | "ChaCha20";

// KES compat, kes-api.md §7.1: the JSON-era names are accepted on input as synonyms.
const NAMES: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>([
  ["AES256", "AES256"],
  ["AES256-GCM_SHA256", "AES256"],
  ["ChaCha20", "ChaCha20"],
  ["XCHACHA20-POLY1305", "ChaCha20"],
]);

/** Maps an accepted algorithm name to its type; undefined for anything else. */
export function parseAlgorithm(name: string): Algorithm | undefined {
  return NAMES.get(name);
}

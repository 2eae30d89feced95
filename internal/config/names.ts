// Name validation for policy names and identities in the config (kes-api.md §13.1). Pure.
// It must never trim or normalise: a name is valid exactly as written or not at all.

const NAME_CHARS = /^[0-9A-Za-z_-]+$/;
const DASH = 0x2d;

/**
 * 1–80 of `0-9 A-Z a-z _ -`, no leading/trailing `-`, not the single `_` (KES compat, §13.1).
 * Written as a length, one character class and two character checks rather than one pattern
 * with lookarounds: every key request checks its key's name, and this takes a fraction of the
 * time (names.test.ts checks it against the pattern).
 */
export function isValidName(name: string): boolean {
  const n = name.length;
  return (
    n >= 1 &&
    n <= 80 &&
    name.charCodeAt(0) !== DASH &&
    name.charCodeAt(n - 1) !== DASH &&
    name !== "_" &&
    NAME_CHARS.test(name)
  );
}

const IDENTITY_HEX = /^[0-9a-f]{64}$/;

/** The only identities a client can have: SHA-256 of a public key, 64 lowercase hex (§5.1). */
export function isIdentityHex(identity: string): boolean {
  return IDENTITY_HEX.test(identity);
}

/** The admin.identity value that turns the admin off (KES compat, kes-api.md §5.2). */
export const ADMIN_DISABLED = "disabled";

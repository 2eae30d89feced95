// Name validation for policy names and identities in the config (kes-api.md §13.1). Pure.
// It must never trim or normalise: a name is valid exactly as written or not at all.

const NAME = /^(?!_$)(?!-)[0-9A-Za-z_-]{1,80}(?<!-)$/;

/** 1–80 of `0-9 A-Z a-z _ -`, no leading/trailing `-`, not the single `_` (KES compat, §13.1). */
export function isValidName(name: string): boolean {
  return NAME.test(name);
}

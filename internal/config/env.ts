// `${NAME}` references in config scalars (kes-api.md §10.1). Pure: the environment is a parameter,
// never process.env. It must never interpolate partially (`foo-${X}` stays literal) nor invent
// defaults: only a scalar whose whole trimmed text is `${NAME}` is replaced.

export type Env = Readonly<Record<string, string | undefined>>;

const REFERENCE = /^\$\{(.*)\}$/s;

/** The trimmed NAME when `text` (trimmed) is exactly `${NAME}`, else undefined. */
export function parseEnvReference(text: string): string | undefined {
  const m = REFERENCE.exec(text.trim());
  return m === null ? undefined : (m[1] ?? "").trim();
}

export type Expansion = { ok: true; value: string } | { ok: false; message: string };

/**
 * Replaces a whole-scalar reference by the variable's value (an empty but set variable counts as
 * present); `line` is the 1-based line of the scalar, quoted in KES's error text.
 */
export function expandEnvReference(text: string, env: Env, line: number): Expansion {
  const name = parseEnvReference(text);
  if (name === undefined) return { ok: true, value: text };
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  if (value === undefined) {
    return { ok: false, message: `referenced env. variable '${name}' in line '${line}' not found` };
  }
  return { ok: true, value };
}

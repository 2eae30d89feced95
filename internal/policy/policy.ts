// Policy evaluation (kes-api.md §6.2): deny wins, then allow, else deny. A pattern ending in `*`
// is a prefix match (it may cross `/`), any other pattern is an exact match, the empty pattern
// never matches. Policies are compiled once per configuration; evaluating one is a Set lookup plus
// a scan of the prefix patterns. `allows` is the per-request hot path and returns a boolean;
// `decide` runs the very same matcher and also names the rule that decided (`policy explain`).
// Pure: no I/O, no logging.

export interface PolicySpec {
  name: string;
  allow: readonly string[];
  deny: readonly string[];
  identities: readonly string[];
}

interface CompiledRules {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
  /** The configured pattern of each prefix (`prefixes[i]` + "*"), reported by `decide`. */
  starred: readonly string[];
}

/** What one policy says about one path, and the pattern that said it. */
export type PolicyDecision =
  | { readonly allowed: false; readonly effect: "deny"; readonly pattern: string }
  | { readonly allowed: true; readonly effect: "allow"; readonly pattern: string }
  | { readonly allowed: false; readonly effect: "default" };

/** The access decision for an identity on a policy-protected route, with its reason. */
export type AccessDecision =
  | { readonly allowed: true; readonly role: "admin" }
  | { readonly allowed: false; readonly role: "unknown" }
  | ({ readonly role: "policy"; readonly policy: string } & PolicyDecision);

export interface CompiledPolicy {
  readonly name: string;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly identities: readonly string[];
  /** True when the decoded, cleaned request path is allowed. */
  allows(path: string): boolean;
  /** The same decision as `allows`, with the deny or allow pattern that made it. */
  decide(path: string): PolicyDecision;
}

function compileRules(patterns: readonly string[]): CompiledRules {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const starred: string[] = [];
  for (const p of new Set(patterns)) {
    if (p === "") continue;
    if (p.endsWith("*")) {
      prefixes.push(p.slice(0, -1));
      starred.push(p);
    } else exact.add(p);
  }
  return { exact, prefixes, starred };
}

/** The first pattern matching `path` (an exact one before any prefix), or undefined. */
function matchOf(rules: CompiledRules, path: string): string | undefined {
  if (rules.exact.has(path)) return path;
  const { prefixes } = rules;
  for (let i = 0; i < prefixes.length; i++) {
    if (path.startsWith(prefixes[i] as string)) return rules.starred[i];
  }
  return undefined;
}

function decideRules(allow: CompiledRules, deny: CompiledRules, path: string): PolicyDecision {
  const denied = matchOf(deny, path);
  if (denied !== undefined) return { allowed: false, effect: "deny", pattern: denied };
  const allowed = matchOf(allow, path);
  if (allowed !== undefined) return { allowed: true, effect: "allow", pattern: allowed };
  return { allowed: false, effect: "default" };
}

/** Compiles one policy; duplicate patterns collapse (they are sets, kes-api.md §6.1). */
export function compilePolicy(spec: PolicySpec): CompiledPolicy {
  const allow = compileRules(spec.allow);
  const deny = compileRules(spec.deny);
  return Object.freeze({
    name: spec.name,
    allow: [...new Set(spec.allow)],
    deny: [...new Set(spec.deny)],
    identities: [...spec.identities],
    allows: (path: string) =>
      matchOf(deny, path) === undefined && matchOf(allow, path) !== undefined,
    decide: (path: string) => decideRules(allow, deny, path),
  });
}

/** Which policy an identity belongs to, and who the admin is. Built once per configuration. */
export class PolicySet {
  readonly admin: string;
  readonly policies: ReadonlyMap<string, CompiledPolicy>;
  private readonly byIdentity: ReadonlyMap<string, CompiledPolicy>;

  constructor(admin: string, specs: readonly PolicySpec[]) {
    this.admin = admin;
    const policies = new Map<string, CompiledPolicy>();
    const byIdentity = new Map<string, CompiledPolicy>();
    for (const spec of specs) {
      const compiled = compilePolicy(spec);
      policies.set(spec.name, compiled);
      for (const id of spec.identities) byIdentity.set(id, compiled);
    }
    this.policies = policies;
    this.byIdentity = byIdentity;
  }

  isAdmin(identity: string): boolean {
    return identity !== "" && identity === this.admin;
  }

  policyOf(identity: string): CompiledPolicy | undefined {
    return this.byIdentity.get(identity);
  }

  /** Identities assigned to a policy, in no particular order (the admin is not among them). */
  identities(): IterableIterator<string> {
    return this.byIdentity.keys();
  }

  /** The access decision for a policy-protected route. */
  allows(identity: string, path: string): boolean {
    if (this.isAdmin(identity)) return true;
    const policy = this.byIdentity.get(identity);
    return policy?.allows(path) === true;
  }

  /** The decision `allows` makes, and why: admin, unknown identity, or the deciding rule. */
  decide(identity: string, path: string): AccessDecision {
    if (this.isAdmin(identity)) return { allowed: true, role: "admin" };
    const policy = this.byIdentity.get(identity);
    if (policy === undefined) return { allowed: false, role: "unknown" };
    return { role: "policy", policy: policy.name, ...policy.decide(path) };
  }
}

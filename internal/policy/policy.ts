// Policy evaluation (kes-api.md §6.2): deny wins, then allow, else deny. A pattern ending in `*`
// is a prefix match (it may cross `/`), any other pattern is an exact match, the empty pattern
// never matches. Policies are compiled once per configuration; evaluating one is a Set lookup plus
// a scan of the prefix patterns. Pure: no I/O, no logging.

export interface PolicySpec {
  name: string;
  allow: readonly string[];
  deny: readonly string[];
  identities: readonly string[];
}

interface CompiledRules {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
}

export interface CompiledPolicy {
  readonly name: string;
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly identities: readonly string[];
  /** True when the decoded, cleaned request path is allowed. */
  allows(path: string): boolean;
}

function compileRules(patterns: readonly string[]): CompiledRules {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of new Set(patterns)) {
    if (p === "") continue;
    if (p.endsWith("*")) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return { exact, prefixes };
}

function matches(rules: CompiledRules, path: string): boolean {
  if (rules.exact.has(path)) return true;
  for (const prefix of rules.prefixes) if (path.startsWith(prefix)) return true;
  return false;
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
    allows: (path: string) => !matches(deny, path) && matches(allow, path),
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
}

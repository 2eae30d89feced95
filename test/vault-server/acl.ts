// ACL policies of the Vault test server: parses the HCL/JSON subset tests write (`path "…" {
// capabilities = [...] }`) and evaluates a path against a token's policies with Vault's rules
// (exact, trailing `*`, `+` segments, highest-priority pattern wins, deny wins; vault-api.md §8).
// Pure: no I/O; it must never grant anything a policy does not name.

import { isObject } from "./util.js";

export type Capability =
  | "create"
  | "read"
  | "update"
  | "delete"
  | "list"
  | "patch"
  | "sudo"
  | "deny"
  | "subscribe"
  | "recover";

const CAPABILITIES: readonly Capability[] = [
  "create",
  "read",
  "update",
  "delete",
  "list",
  "patch",
  "sudo",
  "deny",
  "subscribe",
  "recover",
];

export interface PolicyRule {
  pattern: string;
  caps: Set<Capability>;
  regex: RegExp;
}

export interface Policy {
  name: string;
  text: string;
  rules: PolicyRule[];
}

export const DEFAULT_POLICY_TEXT = `# Allow tokens to look up, renew and revoke themselves
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/internal/ui/resultant-acl" { capabilities = ["read"] }
path "sys/wrapping/wrap" { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
path "sys/wrapping/unwrap" { capabilities = ["update"] }
path "cubbyhole/*" { capabilities = ["create", "read", "update", "delete", "list"] }
`;

export const RESPONSE_WRAPPING_POLICY_TEXT = `path "sys/wrapping/unwrap" { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
`;

const LEGACY_POLICY: Record<string, Capability[]> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "delete", "list"],
  sudo: ["create", "read", "update", "delete", "list", "sudo"],
};

function regexOfPattern(pattern: string): RegExp {
  const glob = pattern.endsWith("*");
  const body = glob ? pattern.slice(0, -1) : pattern;
  const parts = body
    .split("/")
    .map((seg) => (seg === "+" ? "[^/]*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${parts.join("/")}${glob ? ".*" : ""}$`, "s");
}

function capsOf(list: unknown, legacy: unknown, pattern: string): Set<Capability> {
  const caps = new Set<Capability>();
  if (Array.isArray(list)) {
    for (const c of list) {
      if (!CAPABILITIES.includes(c as Capability)) {
        throw new Error(`path "${pattern}": invalid capability "${String(c)}"`);
      }
      caps.add(c as Capability);
    }
  }
  if (typeof legacy === "string") {
    const mapped = LEGACY_POLICY[legacy];
    if (mapped === undefined) throw new Error(`path "${pattern}": invalid policy "${legacy}"`);
    for (const c of mapped) caps.add(c);
  }
  return caps;
}

function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^"])(#|\/\/)[^\n]*/g, (_m, pre: string) => pre);
}

/** The `{...}` body starting at `open` (index of '{'), honouring nested braces. */
function blockAt(text: string, open: number): { body: string; end: number } {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return { body: text.slice(open + 1, i), end: i };
  }
  throw new Error("unterminated block");
}

function parseHcl(text: string): Array<{ pattern: string; caps: Set<Capability> }> {
  const src = stripComments(text);
  const out: Array<{ pattern: string; caps: Set<Capability> }> = [];
  const head = /path\s+"([^"]*)"\s*=?\s*\{/g;
  let m = head.exec(src);
  while (m !== null) {
    const pattern = m[1] as string;
    const { body, end } = blockAt(src, m.index + m[0].length - 1);
    const list = /capabilities\s*=\s*\[([^\]]*)\]/.exec(body);
    const items = list ? [...(list[1] as string).matchAll(/"([^"]*)"/g)].map((x) => x[1]) : [];
    const legacy = /(?:^|\s)policy\s*=\s*"([^"]*)"/.exec(body)?.[1];
    out.push({ pattern, caps: capsOf(items, legacy, pattern) });
    head.lastIndex = end + 1;
    m = head.exec(src);
  }
  if (out.length === 0 && src.trim() !== "") throw new Error("no path stanzas found");
  return out;
}

function parseJsonPolicy(text: string): Array<{ pattern: string; caps: Set<Capability> }> {
  const doc: unknown = JSON.parse(text);
  if (!isObject(doc) || !isObject(doc.path)) throw new Error('missing "path" object');
  return Object.entries(doc.path).map(([pattern, rule]) => {
    const r = isObject(rule) ? rule : {};
    return { pattern, caps: capsOf(r.capabilities, r.policy, pattern) };
  });
}

/** Parses a policy; throws Error with a human message when the text is not a policy. */
export function parsePolicy(name: string, text: string): Policy {
  const raw = text.trim().startsWith("{") ? parseJsonPolicy(text) : parseHcl(text);
  const merged = new Map<string, Set<Capability>>();
  for (const { pattern, caps } of raw) {
    const set = merged.get(pattern) ?? new Set<Capability>();
    for (const c of caps) set.add(c);
    merged.set(pattern, set);
  }
  const rules = [...merged].map(([pattern, caps]) => ({
    pattern,
    caps,
    regex: regexOfPattern(pattern),
  }));
  return { name, text, rules };
}

function firstWildcard(p: string): number {
  const plus = p.split("/").indexOf("+");
  const plusAt = plus === -1 ? Infinity : p.split("/").slice(0, plus).join("/").length + 1;
  const starAt = p.endsWith("*") ? p.length - 1 : Infinity;
  return Math.min(plusAt, starAt);
}

/** True when pattern `a` has strictly higher priority than `b` (vault-api.md §8.1). */
export function hasHigherPriority(a: string, b: string): boolean {
  const wa = firstWildcard(a);
  const wb = firstWildcard(b);
  if (wa !== wb) return wa > wb;
  const sa = a.endsWith("*");
  const sb = b.endsWith("*");
  if (sa !== sb) return !sa;
  const pa = a.split("/").filter((s) => s === "+").length;
  const pb = b.split("/").filter((s) => s === "+").length;
  if (pa !== pb) return pa < pb;
  if (a.length !== b.length) return a.length > b.length;
  return a > b;
}

/** The capabilities `policies` grant on `path` ("root" grants everything; deny wins). */
export function capabilitiesOf(policies: readonly Policy[], path: string): Set<Capability> {
  if (policies.some((p) => p.name === "root"))
    return new Set(CAPABILITIES.filter((c) => c !== "deny"));
  let best: string | undefined;
  const byPattern = new Map<string, Set<Capability>>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (!rule.regex.test(path)) continue;
      const set = byPattern.get(rule.pattern) ?? new Set<Capability>();
      for (const c of rule.caps) set.add(c);
      byPattern.set(rule.pattern, set);
      if (best === undefined || hasHigherPriority(rule.pattern, best)) best = rule.pattern;
    }
  }
  const caps =
    best === undefined ? new Set<Capability>() : (byPattern.get(best) as Set<Capability>);
  return caps.has("deny") ? new Set(["deny"]) : caps;
}

/** Whether any non-deny capability exists on some path under `prefix` (ui/mounts rule, §4.2). */
export function hasAccessUnder(policies: readonly Policy[], prefix: string): boolean {
  if (policies.some((p) => p.name === "root")) return true;
  for (const policy of policies) {
    for (const rule of policy.rules) {
      if (rule.caps.size === 0 || rule.caps.has("deny")) continue;
      const wild = firstWildcard(rule.pattern);
      const fixed = rule.pattern.slice(0, wild === Infinity ? undefined : wild);
      if (fixed.startsWith(prefix) || (wild !== Infinity && prefix.startsWith(fixed))) return true;
    }
  }
  return false;
}

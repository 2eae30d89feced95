// Turns config text into a plain value tree: one YAML document, duplicate keys rejected, `${ENV}`
// references expanded, and the line of every path recorded for error messages. Pure: no I/O.
// Scalars stay strings (YAML failsafe schema) so that text like `0123` or a digit-only identity
// is kept exactly as written, as KES's yaml.v3 does when decoding into a string field; schema.ts
// and coerce.ts give them their types. It must never follow an alias unboundedly.

import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
} from "yaml";
import { MAX_CONFIG_DEPTH, MAX_CONFIG_NODES } from "../limits.js";
import { type Env, expandEnvReference } from "./env.js";
import type { Problems, Segment } from "./problems.js";

/** A config value: strings, null (an empty or `null`/`~` plain scalar), lists and mappings. */
export type TreeValue = string | null | TreeValue[] | { [key: string]: TreeValue };

const NULL_WORDS = new Set(["", "~", "null", "Null", "NULL"]);

class Walker {
  private nodes = 0;
  tooBig = false;
  private readonly aliases = new Map<Alias, unknown>();
  /** Source offset of every map key → its path, to place YAML's duplicate-key errors. */
  readonly keyPaths = new Map<number, Segment[]>();

  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly env: Env,
    private readonly problems: Problems,
  ) {}

  lineAt(offset: number | undefined): number {
    return offset === undefined ? 1 : this.lc.linePos(offset).line;
  }

  walk(node: unknown, path: Segment[]): TreeValue {
    if (++this.nodes > MAX_CONFIG_NODES || path.length > MAX_CONFIG_DEPTH) {
      if (!this.tooBig) {
        const line = this.lineAt((node as Node | null)?.range?.[0]);
        this.problems.error([], "the config file is too large or too deeply nested", line);
      }
      this.tooBig = true;
      return null;
    }
    if (isAlias(node)) return this.walk(this.resolve(node), path);
    if (isScalar(node)) return this.scalar(node, path);
    if (isMap(node)) return this.map(node.items, path);
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const at = [...path, i];
        this.problems.setLine(at, this.lineAt((item as Node | null)?.range?.[0]));
        return this.walk(item, at) ?? "";
      });
    }
    return null;
  }

  /** yaml's Alias.resolve searches the whole document each time: resolve each alias once. */
  private resolve(alias: Alias): unknown {
    if (!this.aliases.has(alias)) this.aliases.set(alias, alias.resolve(this.doc));
    return this.aliases.get(alias);
  }

  private scalar(node: Scalar, path: Segment[]): TreeValue {
    const text = typeof node.value === "string" ? node.value : String(node.value ?? "");
    if (node.type === "PLAIN" && NULL_WORDS.has(text)) return null;
    if (!isEnvExpanded(path)) return text;
    const line = this.lineAt(node.range?.[0]);
    const expanded = expandEnvReference(text, this.env, line);
    if (expanded.ok) return expanded.value;
    this.problems.error(path, expanded.message, line, true);
    this.problems.prune(path); // reported once: not again as "required field is missing"
    return null;
  }

  private map(items: readonly unknown[], path: Segment[]): TreeValue {
    const out: { [key: string]: TreeValue } = {};
    for (const pair of items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const keyLine = this.lineAt(keyNode?.range?.[0]);
      if (!isScalar(keyNode)) {
        this.problems.error(path, "mapping keys must be plain scalars", keyLine);
        continue;
      }
      const key = String(keyNode.value ?? "");
      const at = [...path, key];
      if (keyNode.range) this.keyPaths.set(keyNode.range[0], at);
      if (Object.hasOwn(out, key)) continue; // reported by YAML as DUPLICATE_KEY
      this.problems.setLine(at, keyLine);
      // defineProperty: a key named "__proto__" must stay an ordinary own property.
      Object.defineProperty(out, key, {
        value: this.walk(pair.value, at),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
}

/** Policy allow/deny patterns are never expanded (KES compat, kes-api.md §10.1). */
function isEnvExpanded(path: readonly Segment[]): boolean {
  return !(
    path.length === 4 &&
    path[0] === "policy" &&
    (path[2] === "allow" || path[2] === "deny")
  );
}

/**
 * Parses `text` into a tree whose root is a mapping. Returns undefined (with problems recorded)
 * when the text is not one well-formed YAML mapping; duplicate keys and missing environment
 * variables are recorded but still yield a tree, so later checks can report more.
 */
export function parseTree(text: string, env: Env, problems: Problems): TreeValue | undefined {
  const lc = new LineCounter();
  const doc = parseDocument(text, {
    uniqueKeys: true,
    lineCounter: lc,
    schema: "failsafe",
    prettyErrors: false,
  });
  const walker = new Walker(doc, lc, env, problems);
  const syntax = doc.errors.filter((e) => e.code !== "DUPLICATE_KEY");
  const seen = new Set<string>();
  for (const e of syntax) {
    const line = walker.lineAt(e.pos[0]);
    const what =
      e.code === "MULTIPLE_DOCS"
        ? "the config file must contain exactly one YAML document"
        : `invalid YAML: ${e.message.split("\n")[0]}`;
    if (!seen.has(`${line} ${what}`)) problems.error([], what, line);
    seen.add(`${line} ${what}`);
  }
  if (syntax.length > 0) return undefined;
  if (!isMap(doc.contents)) {
    const what =
      doc.contents === null ? "the config file is empty" : "the top level must be a mapping";
    problems.error([], what, walker.lineAt(doc.contents?.range?.[0]));
    return undefined;
  }
  problems.setLine([], walker.lineAt(doc.contents.range?.[0]));
  const tree = walker.walk(doc.contents, []);
  if (walker.tooBig) return undefined;
  for (const e of doc.errors) {
    if (e.code !== "DUPLICATE_KEY") continue;
    const path = walker.keyPaths.get(e.pos[0]) ?? [];
    problems.error(path, `duplicate key '${String(path.at(-1) ?? "")}'`, walker.lineAt(e.pos[0]));
  }
  return tree;
}

// Checks the typed tree against the raw schema with TypeBox, reports each malformed value once
// (`expected a string`, …) and removes it, so the tree that remains satisfies RawConfig and the
// normaliser can still check everything else. Pure. It must never report the same path twice.

import { Kind, type TSchema } from "@sinclair/typebox";
import { type ValueError, ValueErrorType } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import { type Problems, pathOfPointer, type Segment } from "./problems.js";
import { type RawConfig, RawConfigSchema } from "./schema.js";

/** Returns the tree as RawConfig once every schema violation has been reported and pruned. */
export function validateRaw(tree: unknown, problems: Problems): RawConfig | undefined {
  const reported: string[] = [];
  for (const error of Value.Errors(RawConfigSchema, tree)) {
    if (reported.some((p) => error.path === p || error.path.startsWith(`${p}/`))) continue;
    reported.push(error.path);
    const path = resolvePath(tree, error.path);
    problems.error(path, describe(error));
    prune(tree, path, problems);
  }
  return Value.Check(RawConfigSchema, tree) ? tree : undefined;
}

/** Segments of a TypeBox pointer, with array indexes as numbers. */
function resolvePath(tree: unknown, pointer: string): Segment[] {
  const out: Segment[] = [];
  let node = tree;
  for (const s of pathOfPointer(pointer)) {
    const seg = Array.isArray(node) ? Number(s) : s;
    out.push(seg);
    node =
      node !== null && typeof node === "object"
        ? (node as Record<string, unknown>)[seg]
        : undefined;
  }
  return out;
}

/** Removes the value at `path`; a bad list item removes the whole list (indexes stay true). */
function prune(tree: unknown, path: Segment[], problems: Problems): void {
  let at = path;
  let parent = parentOf(tree, at);
  while (Array.isArray(parent) && at.length > 0) {
    at = at.slice(0, -1);
    parent = parentOf(tree, at);
  }
  const key = at.at(-1);
  if (key === undefined || parent === null || typeof parent !== "object") return;
  delete (parent as Record<string, unknown>)[key];
  problems.prune(at);
}

function parentOf(tree: unknown, path: Segment[]): unknown {
  let node = tree;
  for (const s of path.slice(0, -1)) {
    node =
      node !== null && typeof node === "object" ? (node as Record<string, unknown>)[s] : undefined;
  }
  return node;
}

function describe(error: ValueError): string {
  const kind = (error.schema as TSchema)[Kind];
  const got = typeof error.value === "string" ? `, got '${error.value}'` : "";
  switch (error.type) {
    case ValueErrorType.IntegerMinimum:
      return `must be >= ${String(error.schema.minimum)}`;
    case ValueErrorType.ObjectRequiredProperty:
      return "required field is missing";
    default:
      break;
  }
  switch (kind) {
    case "String":
      return "expected a string";
    case "Boolean":
      return `expected a boolean (true or false)${got}`;
    case "Integer":
      return `expected an integer${got}`;
    case "Array":
      return "expected a list";
    case "Object":
    case "Record":
      return "expected a mapping";
    default:
      return error.message;
  }
}

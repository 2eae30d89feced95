// Gives the string tree from yaml-tree.ts the types the schema asks for, the way KES's yaml.v3
// decodes into typed Go fields: booleans (also YAML 1.1 yes/no/on/off, as yaml.v3 accepts for
// bool fields), integers, and null → absent (Go's zero value). Reports unknown fields as warnings
// (KES ignores them silently, kes-api.md §10.1) except directly under `keystore:`, where an unknown
// name is an error. Pure. It must never reject a value: type errors are left for TypeBox to report.

import { Kind, type TSchema } from "@sinclair/typebox";
import type { Problems, Segment } from "./problems.js";
import type { TreeValue } from "./yaml-tree.js";

const TRUE_WORDS = new Set(["true", "yes", "y", "on", "t", "1"]);
const FALSE_WORDS = new Set(["false", "no", "n", "off", "f", "0"]);
const INTEGER = /^[+-]?[0-9]+$/;

type Mutable = { [key: string]: unknown };

/** Converts `value` in place where possible and returns it; null means "absent". */
export function coerceTree(
  schema: TSchema,
  value: TreeValue,
  path: Segment[],
  problems: Problems,
): unknown {
  if (value === null) return undefined;
  switch (schema[Kind]) {
    case "Boolean":
      return typeof value === "string" ? coerceBoolean(value) : value;
    case "Integer":
      return typeof value === "string" && INTEGER.test(value.trim()) ? safeInteger(value) : value;
    case "Array":
      if (!Array.isArray(value)) return value;
      return value.map(
        (item, i) => coerceTree(schema.items as TSchema, item, [...path, i], problems) ?? "",
      );
    case "Object":
      return isMapping(value) ? coerceObject(schema, value, path, problems) : value;
    case "Record":
      return isMapping(value) ? coerceRecord(schema, value, path, problems) : value;
    default:
      return value;
  }
}

function coerceObject(
  schema: TSchema,
  value: Mutable,
  path: Segment[],
  problems: Problems,
): Mutable {
  const properties = schema.properties as Record<string, TSchema>;
  for (const key of Object.keys(value)) {
    const at = [...path, key];
    const field = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (field === undefined) {
      if (path.length === 1 && path[0] === "keystore") {
        problems.error(at, `unknown keystore '${key}'`);
      } else {
        problems.warn(at, `unknown field '${key}' (ignored)`);
        problems.discard(at); // e.g. an unset ${VAR} in a field KES never reads
      }
      delete value[key];
      continue;
    }
    const coerced = coerceTree(field, value[key] as TreeValue, at, problems);
    if (coerced === undefined) delete value[key];
    else value[key] = coerced;
  }
  return value;
}

function coerceRecord(
  schema: TSchema,
  value: Mutable,
  path: Segment[],
  problems: Problems,
): Mutable {
  const patterns = schema.patternProperties as Record<string, TSchema>;
  const item = Object.values(patterns)[0];
  if (item === undefined) return value;
  for (const key of Object.keys(value)) {
    // A named entry with no body (`policy: {my-app: }`) is an empty entry, not an absent one.
    const v = value[key] === null ? {} : (value[key] as TreeValue);
    value[key] = coerceTree(item, v, [...path, key], problems);
  }
  return value;
}

function coerceBoolean(text: string): boolean | string {
  const s = text.trim().toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  return text;
}

function safeInteger(text: string): number | string {
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : text;
}

function isMapping(value: unknown): value is Mutable {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// `keyfront key create|import|info|ls|rm|encrypt|decrypt|dek|hmac` (kes-api.md §11.4). The
// crypto commands print `label: <base64>` lines on a terminal and JSON otherwise (as KES does);
// DEK and decrypt plaintexts go to stdout only, because that is what the user asked for.
// It must never echo an imported key or write key material to stderr.

import { withClient } from "./client-env.js";
import { dispatch, type SubCommandTable } from "./dispatch.js";
import {
  bold,
  formatDate,
  isTerminal,
  printFields,
  printJson,
  printNames,
  useColor,
} from "./format.js";
import { decodeBase64, parseKeyArgs } from "./key-args.js";
import { configure, disable, enable, purge, restore, rotate, versions } from "./key-lifecycle.js";
import { rewrap } from "./key-rewrap.js";
import { listAll } from "./ls.js";
import { result, UsageError } from "./output.js";
import { promptSecret, readSecretArg, type SecretSpec } from "./secret-input.js";

const KEY_SECRET: SecretSpec = { what: "key", instead: "@FILE or - (stdin)", private: true };
const PLAINTEXT_SECRET: SecretSpec = { what: "plaintext", instead: "@FILE or - (stdin)" };

/** A secret positional: `-`, `@FILE` or literal; asked for on a terminal when absent. */
async function secretArg(arg: string | undefined, spec: SecretSpec, usage: string) {
  if (arg !== undefined) return readSecretArg(arg, spec);
  const typed = await promptSecret(spec);
  if (typed === undefined) {
    throw new UsageError(`missing the ${spec.what}: give it, @FILE or - (stdin)\nusage: ${usage}`);
  }
  return typed;
}

/** `label: value` lines on a terminal (KES style), a JSON object otherwise or with --json. */
function printCrypto(
  values: { json: boolean; color?: string | undefined },
  doc: Record<string, string>,
) {
  if (values.json || !isTerminal()) {
    printJson(doc);
    return;
  }
  const color = useColor(values.color);
  result(
    Object.entries(doc)
      .map(([k, v]) => `${bold(`${k}:`, color)} ${v}`)
      .join("\n"),
  );
}

async function create(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, "keyfront key create <name>...", 1, Infinity);
  await withClient(values, async (client) => {
    for (const name of positionals) await client.createKey(name);
  });
  return 0;
}

async function importKey(args: string[]) {
  const usage = "keyfront key import <name> [<base64-key> | @FILE | -] [--cipher AES256|ChaCha20]";
  const { values, positionals } = parseKeyArgs(args, usage, 1, 2, { cipher: { type: "string" } });
  const [name, keyArg] = positionals as [string, string | undefined];
  const keyData = await secretArg(keyArg, KEY_SECRET, usage);
  const keyText = keyData.toString("latin1");
  keyData.fill(0);
  const key = decodeBase64(keyText.trim(), "key", false);
  if (key.length !== 32) throw new UsageError(`the key must be 32 bytes, not ${key.length}`);
  try {
    await withClient(values, (client) =>
      client.importKey(name, key, (values as { cipher?: string }).cipher ?? "AES256"),
    );
  } finally {
    key.fill(0);
  }
  return 0;
}

async function info(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, "keyfront key info <name> [--json]", 1, 1);
  const doc = await withClient(values, (client) => client.describeKey(positionals[0] as string));
  if (values.json) printJson(doc);
  else {
    const fields: [string, string][] = [
      ["Name", doc.name],
      ["Algorithm", doc.algorithm],
      ["Date", formatDate(doc.created_at)],
      ["Owner", doc.created_by ?? "-"],
    ];
    // keyfront's lifecycle fields; a KES server sends none of them.
    if (doc.version !== undefined) fields.push(["Version", String(doc.version)]);
    if (doc.enabled !== undefined) fields.push(["Enabled", doc.enabled ? "yes" : "no"]);
    if (doc.min_decryption_version !== undefined) {
      fields.push(["Min decryption version", String(doc.min_decryption_version)]);
    }
    if (doc.rotate !== undefined) fields.push(["Rotate", doc.rotate === "" ? "off" : doc.rotate]);
    printFields(fields, useColor(values.color));
  }
  return 0;
}

async function ls(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, "keyfront key ls [PREFIX] [--json]", 0, 1);
  const prefix = positionals[0] ?? "*";
  const names = await withClient(values, (client) => listAll(client.listKeys(prefix)));
  printNames("Key", names, { json: values.json, color: useColor(values.color) });
  return 0;
}

async function rm(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, "keyfront key rm <name>...", 1, Infinity);
  await withClient(values, async (client) => {
    for (const name of positionals) await client.deleteKey(name);
  });
  return 0;
}

async function encrypt(args: string[]) {
  const usage = "keyfront key encrypt <name> [<message> | @FILE | -] [<base64-context>]";
  const { values, positionals } = parseKeyArgs(args, usage, 1, 3);
  const [name, messageArg, ctx] = positionals as [string, string | undefined, string | undefined];
  const context = ctx === undefined ? undefined : decodeBase64(ctx, "context");
  const message = await secretArg(messageArg, PLAINTEXT_SECRET, usage);
  try {
    const ciphertext = await withClient(values, (c) => c.encrypt(name, message, context));
    printCrypto(values, { ciphertext: ciphertext.toString("base64") });
  } finally {
    message.fill(0);
  }
  return 0;
}

async function decrypt(args: string[]) {
  const usage = "keyfront key decrypt <name> <base64-ciphertext> [<base64-context>]";
  const { values, positionals } = parseKeyArgs(args, usage, 2, 3);
  const [name, ct, ctx] = positionals as [string, string, string | undefined];
  const ciphertext = decodeBase64(ct, "ciphertext");
  const context = ctx === undefined ? undefined : decodeBase64(ctx, "context");
  const plaintext = await withClient(values, (c) => c.decrypt(name, ciphertext, context));
  printCrypto(values, { plaintext: plaintext.toString("base64") });
  plaintext.fill(0);
  return 0;
}

async function dek(args: string[]) {
  const { values, positionals } = parseKeyArgs(
    args,
    "keyfront key dek <name> [<base64-context>]",
    1,
    2,
  );
  const [name, ctx] = positionals as [string, string | undefined];
  const context = ctx === undefined ? undefined : decodeBase64(ctx, "context");
  const d = await withClient(values, (c) => c.generateKey(name, context));
  printCrypto(values, {
    plaintext: d.plaintext.toString("base64"),
    ciphertext: d.ciphertext.toString("base64"),
  });
  d.plaintext.fill(0);
  return 0;
}

async function hmac(args: string[]) {
  const { values, positionals } = parseKeyArgs(args, "keyfront key hmac <name> <message>", 2, 2);
  const [name, message] = positionals as [string, string];
  const mac = await withClient(values, (c) => c.hmac(name, message));
  printCrypto(values, { hmac: mac.toString("base64") });
  return 0;
}

const KEY_COMMANDS: SubCommandTable = {
  create: { run: create, help: "create keys" },
  import: { run: importKey, help: "import a 32-byte key (base64; @FILE or - reads it)" },
  info: { run: info, help: "describe a key" },
  ls: { run: ls, help: "list keys" },
  rm: { run: rm, help: "delete keys" },
  encrypt: { run: encrypt, help: "encrypt a message (@FILE or - reads it)" },
  decrypt: { run: decrypt, help: "decrypt a ciphertext" },
  dek: { run: dek, help: "generate a data encryption key" },
  hmac: { run: hmac, help: "compute an HMAC-SHA256 of a message" },
  rotate: { run: rotate, help: "add a new version to a key" },
  versions: { run: versions, help: "list the versions of a key" },
  rewrap: {
    run: rewrap,
    help: "re-seal ciphertexts (lines of a file or stdin) under the newest version",
  },
  configure: { run: configure, help: "set the minimum decryption version or rotation period" },
  disable: { run: disable, help: "refuse every use of keys until enabled" },
  enable: { run: enable, help: "allow disabled keys again" },
  restore: { run: restore, help: "bring back keys pending deletion" },
  purge: { run: purge, help: "destroy keys pending deletion now (asks; --yes)" },
};

export const runKey = (args: string[]) => dispatch("key", KEY_COMMANDS, args);

// Client configuration of every client command (kes-api.md §11.3): the flags -s/--server,
// -a/--api-key, -k/--insecure, the KES_* / MINIO_* environment, credential checks with one-line
// errors, and the mapping of client failures to one line that says what to do.
// It must never print a key, a password or a stack trace.

import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { type ClientOptions, KeyfrontClient } from "../../internal/client/client.js";
import { ConnectionError, KeyfrontError } from "../../internal/client/errors.js";
import { firstCertificate } from "../../internal/client/wire.js";
import { identityOfCertificate, identityOfSpki } from "../../internal/identity/identity.js";
import { loadPrivateKeyPem, PASSWORD_REQUIRED_MESSAGE } from "../../internal/pki/keys.js";
import { CommandError, UsageError } from "./output.js";
import { canPrompt, readPassword } from "./prompt.js";
import { promptSecret, readSecretArg, type SecretSpec } from "./secret-input.js";

type Env = Record<string, string | undefined>;

export const ENV = {
  server: ["MINIO_KES_SERVER", "KES_SERVER", "MINIO_KMS_KES_ENDPOINT"],
  apiKey: ["MINIO_KES_API_KEY", "KES_API_KEY", "MINIO_KMS_KES_API_KEY"],
  keyFile: ["MINIO_KES_KEY_FILE", "KES_CLIENT_KEY", "MINIO_KES_CLIENT_KEY"],
  certFile: ["MINIO_KES_CERT_FILE", "KES_CLIENT_CERT", "MINIO_KES_CLIENT_CERT"],
  /** keyfront: the password of an encrypted client key when there is no terminal to ask on. */
  keyPassword: ["KES_CLIENT_KEY_PASSWORD"],
} as const;

export const DEFAULT_SERVER = "127.0.0.1:7373";

/** Options every client command accepts (-e/--enclave and --color for KES compatibility). */
export const CLIENT_OPTIONS = {
  server: { type: "string", short: "s" },
  "api-key": { type: "string", short: "a" },
  insecure: { type: "boolean", short: "k", default: false },
  json: { type: "boolean", default: false },
  color: { type: "string" },
  enclave: { type: "string", short: "e" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export interface ClientFlags {
  server?: string | undefined;
  "api-key"?: string | undefined;
  insecure?: boolean | undefined;
}

/** node:util parseArgs with usage errors as UsageError and -h printing the usage (exit 2). */
export function parseCommand<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: O,
  usage: string,
) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${usage}`);
  }
  if ((parsed.values as { help?: boolean }).help === true) throw new UsageError(`usage: ${usage}`);
  return parsed;
}

function firstOf(env: Env, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== "") return v.trim();
  }
  return undefined;
}

function readFile(path: string, what: string, variable: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new CommandError(`cannot read the ${what} '${path}' (${code}): check ${variable}`);
  }
}

async function loadClientKey(path: string, env: Env): Promise<string> {
  const pem = readFile(path, "client key", "KES_CLIENT_KEY");
  let password = firstOf(env, ENV.keyPassword);
  try {
    return exportKey(loadPrivateKeyPem(pem, password));
  } catch (err) {
    const message = (err as Error).message;
    if (message !== PASSWORD_REQUIRED_MESSAGE) {
      throw new CommandError(`cannot load the client key '${path}': ${message}`);
    }
  }
  if (!canPrompt()) {
    throw new CommandError(
      `the client key '${path}' is encrypted: set KES_CLIENT_KEY_PASSWORD or run on a terminal to be asked`,
    );
  }
  password = await readPassword(`Enter password for '${path}': `);
  try {
    return exportKey(loadPrivateKeyPem(pem, password));
  } catch (err) {
    throw new CommandError(`cannot load the client key '${path}': ${(err as Error).message}`);
  }
}

const exportKey = (k: ReturnType<typeof loadPrivateKeyPem>) =>
  k.export({ type: "pkcs8", format: "pem" }).toString();

function checkPair(certPem: string, keyPem: string, certPath: string, keyPath: string): void {
  const der = firstCertificate(certPem);
  if (der === undefined) {
    throw new CommandError(`'${certPath}' holds no PEM certificate: check KES_CLIENT_CERT`);
  }
  let certIdentity: string;
  try {
    certIdentity = identityOfCertificate(der);
  } catch {
    throw new CommandError(`'${certPath}' is not a valid X.509 certificate: check KES_CLIENT_CERT`);
  }
  const spki = createPublicKey(keyPem).export({ type: "spki", format: "der" });
  if (identityOfSpki(spki) !== certIdentity) {
    throw new CommandError(`the client key '${keyPath}' does not belong to '${certPath}'`);
  }
}

/** The credentials of §11.3: exactly one of an API key or a certificate + key pair. */
export async function resolveCredentials(
  flags: ClientFlags,
  env: Env,
): Promise<Pick<ClientOptions, "apiKey" | "certPem" | "keyPem">> {
  const flag = flags["api-key"];
  if (flag !== undefined) return { apiKey: await readApiKey(flag, true) };
  const fromEnv = firstOf(env, ENV.apiKey);
  // `@FILE` / `-` in the variable too (a service unit can point at a credentials file).
  const apiKey = fromEnv === undefined ? undefined : await readApiKey(fromEnv, false);
  const keyPath = firstOf(env, ENV.keyFile);
  const certPath = firstOf(env, ENV.certFile);
  if (apiKey !== undefined && (keyPath !== undefined || certPath !== undefined)) {
    throw new CommandError(
      "conflicting credentials: both KES_API_KEY and KES_CLIENT_CERT/KES_CLIENT_KEY are set; unset one",
    );
  }
  if (apiKey !== undefined) return { apiKey };
  if (keyPath === undefined && certPath === undefined) {
    const typed = await promptSecret(API_KEY_SECRET);
    if (typed !== undefined) return { apiKey: secretText(typed, "API key") };
    throw new CommandError(
      "no API key specified: set KES_API_KEY (or -a), or KES_CLIENT_CERT and KES_CLIENT_KEY",
    );
  }
  if (certPath === undefined)
    throw new CommandError("KES_CLIENT_KEY is set but KES_CLIENT_CERT is not: set both");
  if (keyPath === undefined)
    throw new CommandError("KES_CLIENT_CERT is set but KES_CLIENT_KEY is not: set both");
  const certPem = readFile(certPath, "client certificate", "KES_CLIENT_CERT");
  const keyPem = await loadClientKey(keyPath, env);
  checkPair(certPem, keyPem, certPath, keyPath);
  return { certPem, keyPem };
}

const API_KEY_SECRET: SecretSpec = {
  what: "API key",
  instead: "-a @FILE or -a - (stdin), or set KES_API_KEY",
  private: true,
};

/**
 * An API key given as `-` (stdin), `@FILE`, or literally: from -a with a warning (a command line
 * shows in `ps`), from the environment without one (only the user and root can see it).
 */
async function readApiKey(arg: string, fromFlag: boolean): Promise<string> {
  if (!fromFlag && arg !== "-" && !arg.startsWith("@")) return arg;
  return secretText(await readSecretArg(arg, API_KEY_SECRET), "API key");
}

/** The secret as text, surrounding whitespace removed; never echoed in the error. */
function secretText(data: Buffer, what: string): string {
  const text = data.toString("utf8").trim();
  data.fill(0);
  if (text === "") throw new CommandError(`the ${what} is empty`);
  return text;
}

/** The endpoints of --server or the environment (comma-separated), default 127.0.0.1:7373. */
export function resolveEndpoints(flags: ClientFlags, env: Env): string[] {
  const text = flags.server ?? firstOf(env, ENV.server) ?? DEFAULT_SERVER;
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) throw new UsageError("no server endpoint: set KES_SERVER or --server");
  return list;
}

/** A client from flags and environment; every problem is a one-line CommandError. */
export async function connectClient(flags: ClientFlags, env: Env = process.env) {
  const creds = await resolveCredentials(flags, env);
  try {
    return new KeyfrontClient({
      endpoints: resolveEndpoints(flags, env),
      ...creds,
      insecure: flags.insecure === true,
    });
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
}

const TLS_VERIFY_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** One line that says what went wrong and what to do. */
export function explainError(err: unknown, identity?: string): Error {
  if (err instanceof CommandError || err instanceof UsageError) return err;
  if (err instanceof KeyfrontError) {
    if (err.status === 403 && identity !== undefined) {
      return new CommandError(
        `${err.message}: identity ${identity} may not do this (ask the server's admin for a policy)`,
      );
    }
    return new CommandError(err.message);
  }
  if (err instanceof ConnectionError) {
    // The client's message is one line naming the endpoint; add what to do where it helps.
    if (err.code === "ECONNREFUSED") {
      return new CommandError(`${err.message}: is the server running? Set KES_SERVER or --server`);
    }
    if (TLS_VERIFY_CODES.has(err.code)) {
      return new CommandError(
        `${err.message} (${err.code}): use -k/--insecure for a self-signed server, or trust its CA with NODE_EXTRA_CA_CERTS`,
      );
    }
    return new CommandError(err.message);
  }
  return new CommandError((err as Error)?.message ?? String(err));
}

/** Runs `fn` with a connected client, closes it, and explains any failure in one line. */
export async function withClient<T>(
  flags: ClientFlags,
  fn: (client: KeyfrontClient) => Promise<T>,
): Promise<T> {
  const client = await connectClient(flags);
  try {
    return await fn(client);
  } catch (err) {
    throw explainError(err, client.identity);
  } finally {
    client.close();
  }
}

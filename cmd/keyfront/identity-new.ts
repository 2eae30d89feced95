// `keyfront identity new [subject] [--key F --cert F] [--ip …] [--dns …] [--expiry 720h]
// [--encrypt] [-f]` (kes-api.md §11.4): a fresh Ed25519 API key and its identity; with files
// also its PKCS#8 private key (0600, optionally RFC 1423-encrypted) and a self-signed certificate
// (CN = subject or identity, ServerAuth + ClientAuth, DigitalSignature, CA = false, SANs from
// --ip/--dns, valid now … now + expiry). It must never overwrite a file without -f, nor print
// the private key or the password; with -f each file is replaced atomically (atomic-files.ts).

import { existsSync } from "node:fs";
import { parseDuration } from "../../internal/config/duration.js";
import {
  generateApiKey,
  identityOfApiKey,
  privateKeyOfApiKey,
} from "../../internal/identity/api-key.js";
import { createCertificate } from "../../internal/pki/certificate.js";
import { keyPairOf } from "../../internal/pki/keys.js";
import { encryptPrivateKeyPem } from "../../internal/pki/pem-encrypt.js";
import { AtomicWriteError, writeFilesAtomically } from "./atomic-files.js";
import { ENV, parseCommand } from "./client-env.js";
import { bold, dim, isTerminal, printJson, useColor } from "./format.js";
import { CommandError, result, UsageError } from "./output.js";
import { canPrompt, readNewPassword } from "./prompt.js";

const USAGE =
  "keyfront identity new [subject] [--key FILE --cert FILE] [--ip IP]... [--dns NAME]... [--expiry 720h] [--encrypt] [-f]";

const KEY_FILE_MODE = 0o600;
const CERT_FILE_MODE = 0o644;

const OPTIONS = {
  key: { type: "string" },
  cert: { type: "string" },
  ip: { type: "string", multiple: true },
  dns: { type: "string", multiple: true },
  expiry: { type: "string" },
  encrypt: { type: "boolean", default: false },
  force: { type: "boolean", short: "f", default: false },
  json: { type: "boolean", default: false },
  color: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

function expiryMs(text: string | undefined): number {
  if (text === undefined) return 720 * 3_600_000;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new UsageError(`--expiry: ${(err as Error).message}`);
  }
  if (ms <= 0) throw new UsageError("--expiry must be positive");
  return ms;
}

async function passwordForEncrypt(): Promise<string> {
  const fromEnv = process.env[ENV.keyPassword[0]];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!canPrompt()) {
    throw new CommandError(
      "--encrypt needs a password: set KES_CLIENT_KEY_PASSWORD or run on a terminal",
    );
  }
  return readNewPassword();
}

interface Files {
  key: string;
  cert: string;
}

interface FileFlags {
  ip?: string[] | undefined;
  dns?: string[] | undefined;
  expiry?: string | undefined;
  encrypt?: boolean | undefined;
  force?: boolean | undefined;
}

async function writeFiles(apiKey: string, subject: string, files: Files, values: FileFlags) {
  const force = values.force === true;
  for (const path of [files.key, files.cert]) {
    if (!force && existsSync(path)) {
      throw new CommandError(`'${path}' already exists: use -f/--force to overwrite it`);
    }
  }
  const keyPair = keyPairOf(privateKeyOfApiKey(apiKey), "ed25519");
  const notBefore = new Date();
  let cert: ReturnType<typeof createCertificate>;
  try {
    cert = createCertificate({
      subject,
      keyPair,
      dns: values.dns ?? [],
      ips: values.ip ?? [],
      notBefore,
      notAfter: new Date(notBefore.getTime() + expiryMs(values.expiry)),
      extKeyUsage: ["serverAuth", "clientAuth"],
    });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError((err as Error).message);
  }
  const keyPem =
    values.encrypt === true
      ? encryptPrivateKeyPem(keyPair.privateKeyPem, await passwordForEncrypt())
      : keyPair.privateKeyPem;
  try {
    // The certificate moves into place first and the private key last, so that an interrupted
    // --force never loses the old key while its replacement is incomplete (atomic-files.ts).
    await writeFilesAtomically(
      [
        { path: files.cert, data: cert.certPem, mode: CERT_FILE_MODE },
        { path: files.key, data: keyPem, mode: KEY_FILE_MODE },
      ],
      force,
    );
  } catch (err) {
    if (!(err instanceof AtomicWriteError)) throw err;
    if (err.code === "EEXIST") {
      throw new CommandError(`'${err.path}' already exists: use -f/--force to overwrite it`);
    }
    throw new CommandError(err.message);
  }
}

export async function runIdentityNew(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS, USAGE);
  if (positionals.length > 1) throw new UsageError(`too many arguments\nusage: ${USAGE}`);
  const hasFiles = values.key !== undefined || values.cert !== undefined;
  if (hasFiles && (values.key === undefined || values.cert === undefined)) {
    throw new UsageError("--key and --cert go together");
  }
  const fileOnly =
    values.ip !== undefined ||
    values.dns !== undefined ||
    values.expiry !== undefined ||
    values.encrypt ||
    values.force;
  if (!hasFiles && fileOnly) {
    throw new UsageError("--ip, --dns, --expiry, --encrypt and --force need --key and --cert");
  }
  const apiKey = generateApiKey();
  const identity = identityOfApiKey(apiKey);
  if (values.key !== undefined && values.cert !== undefined) {
    await writeFiles(
      apiKey,
      positionals[0] ?? identity,
      { key: values.key, cert: values.cert },
      values,
    );
  }
  if (values.json) {
    printJson({
      api_key: apiKey,
      identity,
      ...(hasFiles ? { key: values.key, cert: values.cert } : {}),
    });
    return 0;
  }
  const color = useColor(values.color);
  const lines = [
    `${bold("API key:", color)}  ${apiKey}`,
    `${bold("Identity:", color)} ${identity}`,
  ];
  if (isTerminal()) {
    lines.push(
      "",
      dim("The API key is shown only now: keep it secret. Put the identity into the", color),
    );
    lines.push(dim("server's config (admin.identity or a policy's identities).", color));
  }
  result(lines.join("\n"));
  return 0;
}

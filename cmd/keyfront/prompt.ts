// Password prompts on the terminal for encrypted private keys (kes-api.md §11.3, §11.4): the prompt
// goes to stderr, typed characters are not echoed. Without a terminal there is no prompt; the
// caller must say which environment variable to set. It must never print or log the password.

import { CommandError } from "./output.js";

/** Whether a password can be asked for (stdin and stderr are terminals). */
export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Reads one line from the terminal without echo. Ctrl-C aborts (exit 1). */
export function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let text = "";
    // Echo off before the prompt shows: what is typed after seeing it must never be echoed.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.setEncoding("utf8");
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new CommandError("aborted"));
        if (ch === "\u007f" || ch === "\b") text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** Asks twice and insists both match (for `identity new --encrypt`). */
export async function readNewPassword(): Promise<string> {
  const first = await readPassword("Enter password for private key: ");
  const second = await readPassword("Confirm password for private key: ");
  if (first !== second) throw new CommandError("the passwords do not match");
  if (first === "") throw new CommandError("the password must not be empty");
  return first;
}

// Terminal rules (DESIGN.md §12): stdout carries only the result, everything else goes to stderr
// as `keyfront: …`; exit 0 success, 1 failure, 2 usage. Commands throw these errors; main.ts is
// the only place that exits.

export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export class CommandError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CommandError";
    this.exitCode = exitCode;
  }
}

export function note(message: string): void {
  process.stderr.write(`keyfront: ${message}\n`);
}

export function result(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

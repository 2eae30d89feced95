// Collects config errors and warnings as `file:line path.to.field: message` lines. Pure.
// It must never drop a problem silently, except those below a value that was already reported as
// malformed and removed (pruned), so one mistake is reported once.

export type Segment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** JSON pointer of a path, as TypeBox reports it ("" is the root). */
export function pointerOf(path: readonly Segment[]): string {
  return path.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** The path from a JSON pointer; numeric segments stay strings (lookups are by pointer). */
export function pathOfPointer(pointer: string): Segment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** `a.b[0]`, with keys that are not plain words quoted: `api["/v1/ready"].timeout`. */
export function formatPath(path: readonly Segment[]): string {
  let out = "";
  for (const s of path) {
    if (typeof s === "number") out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

interface Entry {
  line: number;
  text: string;
  pointer: string;
  /** Dropped by discard() when the field turns out to be unknown (KES never reads it). */
  discardable: boolean;
}

export class Problems {
  readonly file: string;
  /** Line of every path present in the file: the key's line for map entries. */
  readonly lines = new Map<string, number>();
  private readonly errorList: Entry[] = [];
  private readonly warningList: Entry[] = [];
  private readonly pruned: string[] = [];

  constructor(file: string) {
    this.file = file;
  }

  setLine(path: readonly Segment[], line: number): void {
    this.lines.set(pointerOf(path), line);
  }

  /** The line of `path`, or of its nearest ancestor present in the file (missing fields). */
  lineOf(path: readonly Segment[]): number {
    for (let n = path.length; n >= 0; n--) {
      const line = this.lines.get(pointerOf(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return 1;
  }

  error(
    path: readonly Segment[],
    message: string,
    line = this.lineOf(path),
    discardable = false,
  ): void {
    const pointer = pointerOf(path);
    if (this.pruned.some((p) => pointer === p || pointer.startsWith(`${p}/`))) return;
    this.errorList.push({ line, text: this.format(line, path, message), pointer, discardable });
  }

  warn(path: readonly Segment[], message: string): void {
    const line = this.lineOf(path);
    const pointer = pointerOf(path);
    this.warningList.push({
      line,
      text: this.format(line, path, message),
      pointer,
      discardable: false,
    });
  }

  /** Forgets discardable errors at or below `path` (a value KES ignores, e.g. an unknown field). */
  discard(path: readonly Segment[]): void {
    const p = pointerOf(path);
    const keep = this.errorList.filter(
      (e) => !(e.discardable && (e.pointer === p || e.pointer.startsWith(`${p}/`))),
    );
    this.errorList.splice(0, this.errorList.length, ...keep);
  }

  /** Suppresses later errors at or below `path` (its value was reported and removed). */
  prune(path: readonly Segment[]): void {
    this.pruned.push(pointerOf(path));
  }

  get hasErrors(): boolean {
    return this.errorList.length > 0;
  }

  /** Errors ordered by line; the order of discovery within a line. */
  errors(): string[] {
    return sortByLine(this.errorList);
  }

  warnings(): string[] {
    return sortByLine(this.warningList);
  }

  private format(line: number, path: readonly Segment[], message: string): string {
    const where = formatPath(path);
    return where === ""
      ? `${this.file}:${line}: ${message}`
      : `${this.file}:${line} ${where}: ${message}`;
  }
}

function sortByLine(list: readonly Entry[]): string[] {
  return [...list].sort((a, b) => a.line - b.line).map((e) => e.text);
}

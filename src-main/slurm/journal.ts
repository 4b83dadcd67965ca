/**
 * Append-only JSONL journals between a host and a job on a Slurm node: one
 * writer appends whole lines, the reader follows them by byte offset.
 *
 * Why files and not a socket: compute nodes often cannot reach the login node's
 * ports, and the host may restart while the job runs; a file on shared storage
 * outlives both. Why one append-only file per direction rather than a file per
 * message: on NFS a client caches "this name does not exist" for up to a
 * minute, while reopening an existing file always asks the server for its
 * current size (close-to-open consistency), so new lines show up at the next
 * poll.
 *
 * The reader consumes complete lines only: a line still being written (no
 * newline yet) waits for the next read, so the consumer never sees half a
 * message. Each entry carries the offset just after it; a host that stores that
 * offset with the effects of the message resumes there after a restart, and
 * nothing is lost or applied twice.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** One line of a journal: who wrote it in which attempt, when, and the message. */
export interface JournalLine<M> {
  /** The Slurm attempt (0, then 1... after requeues); null for host lines meant for every attempt. */
  attempt: number | null;
  /** Milliseconds since the epoch, when the line was written. */
  t: number;
  message: M;
}

export interface JournalEntry<M> extends JournalLine<M> {
  /** Byte offset of the line's start. */
  offset: number;
  /** Byte offset just after the line's newline: where the next read starts. */
  end: number;
}

/** A complete line that is not a journal line (a write torn by a crash, then terminated by the next writer). */
export interface SkippedLine {
  offset: number;
  end: number;
  reason: string;
}

// JSON has no NaN or Infinity (a diverged loss is NaN); they travel tagged so the
// host gets the number back, as it does over IPC's structured clone.
const NON_FINITE = '$wb:number';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return { [NON_FINITE]: String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[NON_FINITE];
    if (typeof tagged === 'string' && Object.keys(value).length === 1) return Number(tagged);
  }
  return value;
}

export function encodeLine<M>(line: JournalLine<M>): string {
  // JSON.stringify escapes newlines inside strings, so one message is one line.
  return JSON.stringify(line, replacer) + '\n';
}

export function decodeLine<M>(text: string): JournalLine<M> {
  const value = JSON.parse(text, reviver) as Partial<JournalLine<M>> | null;
  if (!value || typeof value !== 'object' || !('message' in value) || typeof value.t !== 'number') {
    throw new Error('not a journal line (no message or time)');
  }
  return { attempt: typeof value.attempt === 'number' ? value.attempt : null, t: value.t, message: value.message as M };
}

/**
 * The writing side of a journal. Every append opens, writes one whole line and
 * closes the file: one write() per line keeps lines whole, and the close makes
 * an NFS client send the data to the server, where the reader sees it.
 */
export class JournalWriter<M> {
  constructor(
    readonly file: string,
    readonly attempt: number | null,
  ) {
    // A writer that died mid-line (killed by its time limit, its node lost) left
    // a line without its newline; end it, so that torn line is skipped on its own
    // and does not swallow this writer's first message.
    if (existsSync(file) && statSync(file).size > 0 && !endsWithNewline(file)) appendFileSync(file, '\n');
  }

  append(message: M): void {
    appendFileSync(this.file, encodeLine({ attempt: this.attempt, t: Date.now(), message }));
  }
}

function endsWithNewline(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Complete lines of a file after an offset, as raw text with their offsets. */
export interface RawLine {
  text: string;
  offset: number;
  end: number;
}

const CHUNK = 1 << 20;

/**
 * Follows a growing text file by offset and returns its new complete lines.
 * `flush()` also returns a last line without newline: for a writer that has
 * ended (the job's output after the job finished).
 */
export class LineFollower {
  private position: number;

  constructor(
    readonly file: string,
    fromOffset = 0,
  ) {
    this.position = fromOffset;
  }

  /** Where the next read starts: store this to resume after a restart. */
  get offset(): number {
    return this.position;
  }

  read(): RawLine[] {
    return this.readLines(false);
  }

  flush(): RawLine[] {
    return this.readLines(true);
  }

  private readLines(includePartial: boolean): RawLine[] {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (err) {
      // Not created yet (the job has not started): nothing new.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.position) {
        throw new Error(`${this.file} is shorter (${size} bytes) than the offset already read (${this.position}); it was replaced, not appended to`);
      }
      const lines: RawLine[] = [];
      let carry = Buffer.alloc(0);
      let carryStart = this.position;
      let at = this.position;
      while (at < size) {
        const chunk = Buffer.alloc(Math.min(CHUNK, size - at));
        const got = readSync(fd, chunk, 0, chunk.length, at);
        if (got === 0) break;
        at += got;
        let data = carry.length ? Buffer.concat([carry, chunk.subarray(0, got)]) : chunk.subarray(0, got);
        let start = 0;
        for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
          // Splitting bytes at '\n' is safe in UTF-8: no multi-byte character contains 0x0a.
          lines.push({ text: data.subarray(start, nl).toString('utf8'), offset: carryStart + start, end: carryStart + nl + 1 });
          start = nl + 1;
        }
        carryStart += start;
        data = data.subarray(start);
        carry = Buffer.from(data);
      }
      if (includePartial && carry.length) {
        lines.push({ text: carry.toString('utf8'), offset: carryStart, end: carryStart + carry.length });
        carryStart += carry.length;
      }
      this.position = carryStart;
      return lines;
    } finally {
      closeSync(fd);
    }
  }
}

/** Follows a journal: new complete lines, decoded; torn or foreign lines are reported, not thrown. */
export class JournalFollower<M> {
  private readonly lines: LineFollower;

  constructor(file: string, fromOffset = 0) {
    this.lines = new LineFollower(file, fromOffset);
  }

  get offset(): number {
    return this.lines.offset;
  }

  read(): { entries: JournalEntry<M>[]; skipped: SkippedLine[] } {
    const entries: JournalEntry<M>[] = [];
    const skipped: SkippedLine[] = [];
    for (const raw of this.lines.read()) {
      if (!raw.text.trim()) continue;
      try {
        entries.push({ ...decodeLine<M>(raw.text), offset: raw.offset, end: raw.end });
      } catch (err) {
        skipped.push({ offset: raw.offset, end: raw.end, reason: (err as Error).message });
      }
    }
    return { entries, skipped };
  }
}

/**
 * The host's end of a Slurm job's folder channel: it writes ToJob messages
 * (the start message, cancel, answers to record requests) to `to-job.jsonl` and
 * follows the FromJob messages the node appends to `from-job.jsonl`, and the
 * job's output, by offset. The same messages as over a local job process's IPC
 * (core/jobs/protocol.ts), so a launcher can offer the same JobProcessHandle.
 *
 * Restart without loss or double counting: the host stores `offsets` together
 * with the effects of the messages it applied (one transaction), and makes a
 * new channel from them; `hasReply` tells whether a record request before that
 * offset was answered, so an answer lost in a crash is sent again, not its
 * effect applied twice.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { FromJob, ToJob } from '../core/jobs/protocol.ts';
import { slurmJobFiles, type SlurmJobFiles } from './job-folder.ts';
import { decodeLine, JournalFollower, JournalWriter, LineFollower, type JournalEntry, type RawLine, type SkippedLine } from './journal.ts';

export type StartMessage = Extract<ToJob, { type: 'start' }>;
export type RecordRequest = Extract<FromJob, { type: 'record' }>;

export interface ChannelOffsets {
  fromJob: number;
  output: number;
}

export class HostChannel {
  readonly files: SlurmJobFiles;
  private readonly toJob: JournalWriter<ToJob>;
  private readonly fromJob: JournalFollower<FromJob>;
  private readonly output: LineFollower;

  /** Opens the channel of a job folder, resuming from stored offsets (0 for a new job). */
  constructor(jobDir: string, offsets: Partial<ChannelOffsets> = {}) {
    this.files = slurmJobFiles(jobDir);
    mkdirSync(this.files.dir, { recursive: true });
    // Host lines are for whichever attempt is running; record answers name theirs.
    this.toJob = new JournalWriter<ToJob>(this.files.toJob, null);
    this.fromJob = new JournalFollower<FromJob>(this.files.fromJob, offsets.fromJob ?? 0);
    this.output = new LineFollower(this.files.output, offsets.output ?? 0);
  }

  /**
   * A new job's channel with its start message as the first line (every attempt
   * the node makes reads it). Refused when the folder already has one: a job
   * folder belongs to one workbench job.
   */
  static create(jobDir: string, start: StartMessage): HostChannel {
    const channel = new HostChannel(jobDir);
    if (channel.toJobLines().some((l) => l.message.type === 'start')) {
      throw new Error(`${channel.files.toJob} already holds a start message: this folder belongs to another job.`);
    }
    channel.toJob.append(start);
    return channel;
  }

  /** Sends 'cancel' (the runner stops at its next check) or any other ToJob message to every attempt. */
  send(message: ToJob): void {
    this.toJob.append(message);
  }

  /** Answers a record request of the given attempt (request ids restart with each attempt). */
  reply(attempt: number, message: Extract<ToJob, { type: 'record-result' }>): void {
    const writer = new JournalWriter<ToJob>(this.files.toJob, attempt);
    writer.append(message);
  }

  /** Whether a record request of that attempt has its answer in the channel already. */
  hasReply(attempt: number, requestId: number): boolean {
    return this.toJobLines().some((l) => l.attempt === attempt && l.message.type === 'record-result' && l.message.requestId === requestId);
  }

  /** New complete messages from the node; each entry's `end` is the offset to store once it is applied. */
  readMessages(): { entries: JournalEntry<FromJob>[]; skipped: SkippedLine[] } {
    return this.fromJob.read();
  }

  /** New complete lines of the job's stdout/stderr; `final` also returns an unterminated last line. */
  readOutput(final = false): RawLine[] {
    return final ? this.output.flush() : this.output.read();
  }

  get offsets(): ChannelOffsets {
    return { fromJob: this.fromJob.offset, output: this.output.offset };
  }

  private toJobLines() {
    if (!existsSync(this.files.toJob)) return [];
    return readFileSync(this.files.toJob, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .flatMap((l) => {
        try {
          return [decodeLine<ToJob>(l)];
        } catch {
          return [];
        }
      });
  }
}

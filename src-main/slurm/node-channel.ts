/**
 * The node's end of a Slurm job's folder channel, for the job process running
 * there: it appends FromJob messages to `from-job.jsonl` and delivers the ToJob
 * messages the host appends to `to-job.jsonl` ('start' first, then 'cancel' and
 * record answers), exactly as a local job process gets them over IPC.
 *
 * Two things only a node needs: Slurm's signals (USR2 before the time limit,
 * TERM on cancel or at the limit) arrive as one 'cancel', so the runner saves
 * and stops as it does on a user's cancel; and a record request whose answer
 * does not come (the host is down, the job is stopping) is answered here with a
 * failure after a timeout, so the runner never waits forever holding a node.
 */
import type { FromJob, ToJob } from '../core/jobs/protocol.ts';
import { NODE_ENV, slurmJobFiles, type SlurmJobFiles } from './job-folder.ts';
import { JournalFollower, JournalWriter } from './journal.ts';

export interface NodeChannelOptions {
  /** How often the host's journal is read (it is one small stat per poll). */
  pollMs?: number;
  /** How long a record request waits for the host's answer. */
  recordTimeoutMs?: number;
  /** Turn Slurm's signals into 'cancel' (off in tests that run the channel inside the test process). */
  handleSignals?: boolean;
}

type Listener = (message: ToJob) => void;

export class NodeChannel {
  readonly files: SlurmJobFiles;
  /** The first Slurm signal that arrived (USR2 = time-limit warning, TERM, INT), or null. */
  stopSignal: NodeJS.Signals | null = null;
  private readonly writer: JournalWriter<FromJob>;
  private readonly follower: JournalFollower<ToJob>;
  private readonly pollMs: number;
  private readonly recordTimeoutMs: number;
  private readonly handleSignals: boolean;
  private readonly listeners: Listener[] = [];
  /** Record requests sent and not answered yet, with when they give up. */
  private readonly pendingRecords = new Map<number, NodeJS.Timeout>();
  private timer: NodeJS.Timeout | null = null;
  private cancelled = false;
  private started = false;
  private readonly onSignal = (signal: NodeJS.Signals) => this.stop(signal);

  constructor(
    jobDir: string,
    readonly attempt: number,
    options: NodeChannelOptions = {},
  ) {
    this.files = slurmJobFiles(jobDir);
    this.writer = new JournalWriter<FromJob>(this.files.fromJob, attempt);
    this.follower = new JournalFollower<ToJob>(this.files.toJob);
    this.pollMs = options.pollMs ?? 500;
    this.recordTimeoutMs = options.recordTimeoutMs ?? 30 * 60_000;
    this.handleSignals = options.handleSignals ?? true;
  }

  /** The channel the batch script set up (WORKBENCH_JOB_DIR, WORKBENCH_SLURM_ATTEMPT). */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, options: NodeChannelOptions = {}): NodeChannel {
    const dir = env[NODE_ENV.jobDir];
    if (!dir || !env[NODE_ENV.channel]) throw new Error(`${NODE_ENV.channel} is not set: this process was not started by a workbench Slurm batch script.`);
    return new NodeChannel(dir, Number(env[NODE_ENV.attempt] ?? 0) || 0, options);
  }

  /** Appends one message; resolves once it is in the file (there is nothing to flush after). */
  send(message: FromJob): Promise<void> {
    this.writer.append(message);
    if (message.type === 'record') this.awaitAnswer(message.requestId);
    return Promise.resolve();
  }

  /** Starts delivering the host's messages ('start' first). */
  onMessage(listener: Listener): void {
    this.listeners.push(listener);
    if (this.timer) return;
    if (this.handleSignals) for (const s of ['SIGUSR2', 'SIGTERM', 'SIGINT'] as const) process.on(s, this.onSignal);
    this.timer = setInterval(() => this.poll(), this.pollMs);
    queueMicrotask(() => this.poll());
  }

  /** Stops polling and signal handling; pending record requests are left to the caller. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.pendingRecords.values()) clearTimeout(t);
    this.pendingRecords.clear();
    if (this.handleSignals) for (const s of ['SIGUSR2', 'SIGTERM', 'SIGINT'] as const) process.off(s, this.onSignal);
  }

  /** What a Slurm signal does: one 'cancel', and record requests still waiting fail now. */
  stop(signal: NodeJS.Signals): void {
    this.stopSignal ??= signal;
    this.deliverCancel();
    for (const requestId of [...this.pendingRecords.keys()]) {
      this.answerLocally(requestId, `The job is stopping (${signal}) before the workbench answered.`);
    }
  }

  private poll(): void {
    for (const entry of this.follower.read().entries) {
      const m = entry.message;
      if (m.type === 'start') {
        if (this.started) continue;
        this.started = true;
      } else if (m.type === 'cancel') {
        this.deliverCancel();
        continue;
      } else if (m.type === 'record-result') {
        // Answers to an earlier attempt's requests share its request ids: not ours.
        if (entry.attempt !== this.attempt || !this.pendingRecords.has(m.requestId)) continue;
        clearTimeout(this.pendingRecords.get(m.requestId));
        this.pendingRecords.delete(m.requestId);
      }
      this.deliver(m);
    }
  }

  private deliverCancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.deliver({ type: 'cancel' });
  }

  private awaitAnswer(requestId: number): void {
    const timer = setTimeout(
      () => this.answerLocally(requestId, `The workbench did not answer within ${Math.round(this.recordTimeoutMs / 1000)} s (is its host running?).`),
      this.recordTimeoutMs,
    );
    timer.unref();
    this.pendingRecords.set(requestId, timer);
  }

  private answerLocally(requestId: number, message: string): void {
    const timer = this.pendingRecords.get(requestId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pendingRecords.delete(requestId);
    this.deliver({ type: 'record-result', requestId, ok: false, message });
  }

  private deliver(message: ToJob): void {
    for (const listener of this.listeners) listener(message);
  }
}

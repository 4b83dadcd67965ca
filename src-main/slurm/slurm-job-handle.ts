/**
 * A Slurm job seen through the interface the JobManager drives local job
 * processes with (core/jobs/protocol.ts, JobProcessHandle): 'start' submits
 * the job, the node's journal becomes onMessage, its output onOutput, its end
 * onExit; 'cancel' and record answers go back through the job folder. So a
 * Slurm launcher beside the local one is this handle plus a profile.
 *
 * Two clocks: the job folder is read often (it is a file), Slurm's queue
 * seldom (every squeue is a call to slurmctld, which a busy cluster's admins
 * watch) and whenever the end-state file appears.
 */
import { rmSync } from 'node:fs';
import type { FromJob, RemoteJobHandle, ToJob } from '../core/jobs/protocol.ts';
import type { SlurmTools } from './commands.ts';
import { HostChannel, type ChannelOffsets, type StartMessage } from './host-channel.ts';
import { readAttempts, readEndState, readJobView, type SlurmJobView } from './job-state.ts';
import type { JobRootLanding } from './job-root.ts';
import type { SlurmProfile } from './profile.ts';
import { cancelJob, submitBatchJob } from './submit.ts';

export interface SlurmJobHandleOptions {
  profile: SlurmProfile;
  /** The job process on the node (absolute paths: it runs in the job folder). */
  command: string[];
  /** Environment for it (e.g. WORKBENCH_BACKEND), as a local launcher gets. */
  env?: Record<string, string>;
  /** How often the job folder is read. */
  journalPollMs?: number;
  /** How often Slurm is asked (also whenever the end-state file appears). */
  queuePollMs?: number;
  tools?: SlurmTools;
  /** Every new Slurm view (pending reason, node, elapsed/limit) for the jobs panel. */
  onView?: (view: SlurmJobView) => void;
  /** After messages were delivered: the offsets to store with their effects (restart point). */
  onOffsets?: (offsets: ChannelOffsets) => void;
  /**
   * Runs the delivery of one batch of messages and the `onOffsets` after it
   * (e.g. in one database transaction, so the effects and the restart point are
   * stored together); default: just runs it.
   */
  applyBatch?: (apply: () => void) => void;
  /**
   * For a job on the profile's jobRoot (job-root.ts): what the job writes is
   * copied into the workspace before a message that may name it is applied,
   * its paths are rewritten to the workspace's, and the tree is removed at the end.
   */
  landing?: JobRootLanding;
  /** Before submission (staging the job's tree); a failure fails the job with its message. */
  prepare?: () => Promise<void>;
}

export class SlurmJobHandle implements RemoteJobHandle {
  readonly pid = undefined;
  slurmJobId: string | null = null;
  view: SlurmJobView | null = null;
  private channel: HostChannel | null = null;
  private readonly messageListeners: ((m: FromJob) => void)[] = [];
  private readonly exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  private readonly outputListeners: ((stream: 'stdout' | 'stderr', line: string) => void)[] = [];
  /** The attempt each open record request came from: its answer must name it. */
  private readonly requestAttempts = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private lastQueuePoll = 0;
  private polling = false;
  private reported = false;
  private exited = false;
  private cancelRequested = false;
  /** Set when the job's files could not be copied into the workspace: its tree is then kept. */
  private landingFailed = false;

  constructor(private readonly options: SlurmJobHandleOptions) {}

  /**
   * Submits several jobs as one Slurm job array (a sweep): member i runs the
   * start message starts[i] in its own job folder. One handle per member, in
   * order; `optionsFor(i)` gives each its listeners (the profile and command
   * of the first are the array's).
   */
  static array(starts: StartMessage[], optionsFor: (i: number) => SlurmJobHandleOptions): SlurmJobHandle[] {
    const handles = starts.map((_, i) => new SlurmJobHandle(optionsFor(i)));
    const options = handles[0]!.options;
    void (async () => {
      try {
        for (const h of handles) await h.options.prepare?.();
        const channels = starts.map((s) => HostChannel.create(s.jobDir, s));
        const submitted = await submitBatchJob(options.profile, {
          name: `wb-sweep-${starts[0]!.jobId}-${starts[0]!.kind}`,
          jobDirs: starts.map((s) => s.jobDir),
          array: {},
          command: options.command,
          env: options.env,
        });
        handles.forEach((h, i) => {
          h.channel = channels[i]!;
          h.slurmJobId = submitted.memberIds[i]!;
          // Listeners are added right after this returns; polling starts on the next tick.
          h.startPolling();
        });
      } catch (err) {
        for (const h of handles) {
          h.finish({ type: 'failed', message: (err as Error).message, cancelled: false }, 1, null);
          h.discardTree();
        }
      }
    })();
    return handles;
  }

  /** Follows a job submitted before the host restarted, from the offsets stored with its effects. */
  static attach(jobDir: string, slurmJobId: string, offsets: ChannelOffsets, options: SlurmJobHandleOptions): SlurmJobHandle {
    const handle = new SlurmJobHandle(options);
    handle.channel = new HostChannel(jobDir, offsets);
    handle.slurmJobId = slurmJobId;
    handle.startPolling();
    return handle;
  }

  send(message: ToJob): void {
    switch (message.type) {
      case 'start':
        void this.submit(message);
        break;
      case 'cancel':
        // The runner's own stop (it saves and reports 'cancelled') and scancel:
        // a pending job never reads its journal, and a running one gets TERM,
        // which the node channel turns into the same stop.
        this.channel?.send(message);
        this.cancelRequested = true;
        void this.scancel();
        break;
      case 'record-result':
        this.channel?.reply(this.requestAttempts.get(message.requestId) ?? 0, message);
        this.requestAttempts.delete(message.requestId);
        break;
    }
  }

  onMessage(listener: (message: FromJob) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener);
  }

  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void {
    this.outputListeners.push(listener);
  }

  /**
   * Stops following without touching the job: the host is closing and the
   * Slurm job runs on; `attach` picks it up again from the stored offsets.
   */
  detach(): void {
    this.exited = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** The manager's last resort after a cancel's grace period: scancel (SIGTERM, then SIGKILL after KillWait). */
  kill(): void {
    void this.scancel();
  }

  private async submit(start: StartMessage): Promise<void> {
    try {
      await this.options.prepare?.();
      this.channel = HostChannel.create(start.jobDir, start);
      const submitted = await submitBatchJob(this.options.profile, {
        name: `wb-${start.jobId}-${start.kind}`,
        jobDirs: [start.jobDir],
        command: this.options.command,
        env: this.options.env,
      });
      this.slurmJobId = submitted.slurmJobId;
      this.startPolling();
    } catch (err) {
      this.finish({ type: 'failed', message: (err as Error).message, cancelled: false }, 1, null);
      this.discardTree();
    }
  }

  /** Nothing ran: a tree staged on jobRoot for it is removed. */
  private discardTree(): void {
    if (this.options.landing) rmSync(this.options.landing.stageDir, { recursive: true, force: true });
  }

  private async scancel(): Promise<void> {
    if (!this.slurmJobId) return;
    try {
      await cancelJob(this.slurmJobId, { tools: this.options.tools ?? { binDir: this.options.profile.binDir } });
    } catch (err) {
      this.emitOutput('stderr', (err as Error).message);
    }
  }

  private startPolling(): void {
    this.timer = setInterval(() => void this.poll(), this.options.journalPollMs ?? 500);
    // Not synchronously: whoever attached the handle adds its listeners first.
    setImmediate(() => void this.poll());
  }

  private async poll(): Promise<void> {
    if (this.polling || this.exited || !this.channel || !this.slurmJobId) return;
    this.polling = true;
    try {
      this.drain(false);
      this.noticeStart();
      const endWritten = readEndState(this.channel.files)?.slurmJobId === this.slurmJobId;
      if (!endWritten && Date.now() - this.lastQueuePoll < (this.options.queuePollMs ?? 10_000)) return;
      this.lastQueuePoll = Date.now();
      const view = await readJobView(this.slurmJobId, this.channel.files, this.options.tools ?? { binDir: this.options.profile.binDir });
      if (this.exited) return; // detached meanwhile
      this.view = view;
      this.options.onView?.(view);
      if (view.phase !== 'ended') return;
      // Whatever the job wrote is in the files now that it has ended.
      this.drain(true);
      const signal = view.end?.signals.at(-1);
      // A job that ended without saying so (never started, killed, folder not
      // visible) gets Slurm's account of it, not "exited unexpectedly".
      const interrupted = view.cause === 'interrupted' || view.cause === 'lost';
      const last: FromJob | null = this.reported
        ? null
        : { type: 'failed', message: view.message, cancelled: view.cause === 'cancelled' || this.cancelRequested, ...(interrupted ? { interrupted } : {}) };
      this.finish(last, view.end?.exitCode ?? null, signal ? `SIG${signal}` : null);
      this.closeLanding();
    } catch (err) {
      // squeue failing once (slurmctld busy) is not the job's end: try again next time.
      this.emitOutput('stderr', `Slurm state not read: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * The node writes its attempt line as the job starts: the row shows the node
   * at once instead of at the next (rare) queue poll, even for a job that ends
   * before that poll.
   */
  private noticeStart(): void {
    if (this.view && this.view.phase !== 'pending') return;
    const attempt = readAttempts(this.channel!.files).find((a) => a.slurmJobId === this.slurmJobId);
    if (!attempt) return;
    this.view = { phase: 'running', slurmJobId: this.slurmJobId!, slurmState: 'RUNNING', node: attempt.node, elapsedSeconds: null, limitSeconds: null };
    this.options.onView?.(this.view);
  }

  private drain(final: boolean): void {
    const channel = this.channel!;
    const { entries, skipped } = channel.readMessages();
    const output = channel.readOutput(final);
    const landing = this.options.landing;
    // What a record, done or failed names is in the workspace before it is applied.
    if (landing && (final || entries.some((e) => ['record', 'done', 'failed'].includes(e.message.type)))) {
      try {
        landing.land();
      } catch (err) {
        this.landingFailed = true;
        this.finish({ type: 'failed', message: `The job's files could not be copied from ${landing.stageDir} into the workspace: ${(err as Error).message}`, cancelled: false }, 1, null);
        void this.scancel();
        return;
      }
    }
    if (!entries.length && !skipped.length && !output.length) return;
    const apply = (): void => {
      for (const s of skipped) this.emitOutput('stderr', `A damaged line of the job's journal was skipped (${s.reason}).`);
      for (const e of entries) {
        if (e.message.type === 'record') this.requestAttempts.set(e.message.requestId, e.attempt ?? 0);
        if (e.message.type === 'done' || e.message.type === 'failed') this.reported = true;
        const message = landing ? landing.rewrite(e.message) : e.message;
        for (const l of this.messageListeners) l(message);
      }
      for (const line of output) if (line.text.trim()) this.emitOutput('stdout', line.text);
      this.options.onOffsets?.(channel.offsets);
    };
    (this.options.applyBatch ?? ((f) => f()))(apply);
  }

  /** The job has ended and its end is stored: its tree on jobRoot goes (after the last files landed). */
  private closeLanding(): void {
    if (this.landingFailed) return;
    try {
      this.options.landing?.close();
    } catch (err) {
      this.emitOutput('stderr', `The job's folder ${this.options.landing!.stageDir} could not be cleaned up: ${(err as Error).message}`);
    }
  }

  private emitOutput(stream: 'stdout' | 'stderr', line: string): void {
    for (const l of this.outputListeners) l(stream, line);
  }

  private finish(last: FromJob | null, code: number | null, signal: string | null): void {
    if (this.exited) return;
    this.exited = true;
    if (this.timer) clearInterval(this.timer);
    if (last) for (const l of this.messageListeners) l(last);
    for (const l of this.exitListeners) l(code, signal);
  }
}

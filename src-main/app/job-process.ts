/**
 * Entry of a job process: receives one 'start' message, runs that job's runner,
 * reports back, exits. It never writes the workspace database; everything it
 * wants stored goes back to the writer process as messages.
 */
import type Database from 'better-sqlite3';
import path from 'node:path';
import { openDatabase } from '../core/db/open-database.ts';
import type { FromJob, ToJob } from '../core/jobs/protocol.ts';
import type { JobProgress } from '../common/contract/index.ts';
import { jobSpecs } from './job-kinds.ts';
import { NODE_ENV } from '../slurm/job-folder.ts';
import { NodeChannel } from '../slurm/node-channel.ts';
import type { JobRunContext } from '../core/jobs/spec.ts';

/** Messages from a parent that is either Node's fork (process.send) or Electron's utilityProcess (parentPort). */
interface ParentPortLike {
  on(event: 'message', listener: (e: { data: ToJob }) => void): void;
  postMessage(message: FromJob): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;

/**
 * On a Slurm node (started by the batch script of src-main/slurm/script.ts)
 * the parent is the job folder: the same messages, as journal lines.
 */
const nodeChannel = process.env[NODE_ENV.channel] ? NodeChannel.fromEnv(process.env) : null;

/** Resolves once the message is handed to the IPC channel, so exiting after it loses nothing. */
function send(message: FromJob): Promise<void> {
  if (nodeChannel) return nodeChannel.send(message);
  if (parentPort) {
    parentPort.postMessage(message);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

function onParentMessage(listener: (m: ToJob) => void): void {
  if (nodeChannel) nodeChannel.onMessage(listener);
  else if (parentPort) parentPort.on('message', (e) => listener(e.data));
  else process.on('message', (m) => listener(m as ToJob));
}

const controller = new AbortController();
const pendingRecords = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let nextRecordId = 1;
let started = false;

class CancelledError extends Error {}

async function run(start: Extract<ToJob, { type: 'start' }>): Promise<void> {
  const spec = jobSpecs.get(start.kind);
  if (!spec) throw new Error(`Unknown job kind ${start.kind}`);
  let readDb = null as Database.Database | null;
  let lastProgress = 0;
  let pendingProgress: Partial<JobProgress> | null = null;
  const ctx: JobRunContext<unknown> = {
    jobId: start.jobId,
    params: start.params,
    workspaceDir: start.workspaceDir,
    jobDir: start.jobDir,
    signal: controller.signal,
    resume: start.resume,
    progress(update) {
      // At most ~10 messages a second: a tight loop must not flood the writer.
      const t = Date.now();
      pendingProgress = { ...(pendingProgress ?? {}), ...update };
      if (t - lastProgress >= 100 || update.fraction === 1) {
        lastProgress = t;
        void send({ type: 'progress', progress: pendingProgress });
        pendingProgress = null;
      }
    },
    log(line, level = 'info') {
      void send({ type: 'log', level, line });
    },
    metrics(points) {
      void send({ type: 'metrics', points });
    },
    record(recordType, payload) {
      const requestId = nextRecordId++;
      return new Promise((resolve, reject) => {
        pendingRecords.set(requestId, { resolve, reject });
        void send({ type: 'record', requestId, recordType, payload });
      });
    },
    readDb() {
      readDb ??= openDatabase(path.join(start.workspaceDir, 'workbench.db'), { readonly: true, fileMustExist: true });
      return readDb;
    },
  };
  try {
    if (spec.resource === 'compute') {
      // Every compute job records the engine it ran on (backend, device, threads),
      // chosen once per process from WORKBENCH_BACKEND or the automatic order.
      const { initEngine } = await import('../engine/init.ts');
      const engine = await initEngine();
      void send({ type: 'engine', engine });
      for (const line of engine.fallbacks) void send({ type: 'log', level: 'info', line });
    }
    const runner = (await spec.load()).default;
    const result = await runner(ctx);
    if (controller.signal.aborted) throw new CancelledError('cancelled');
    // The last coalesced progress report (e.g. 'done') goes out before the result.
    if (pendingProgress) await send({ type: 'progress', progress: pendingProgress });
    await send({ type: 'done', result });
  } finally {
    readDb?.close();
  }
}

onParentMessage((message) => {
  switch (message.type) {
    case 'start':
      if (started) return;
      started = true;
      run(message).then(
        () => process.exit(0),
        async (err: unknown) => {
          const cancelled = controller.signal.aborted;
          const text = err instanceof Error ? err.message : String(err);
          await send({ type: 'failed', message: text, cancelled });
          process.exit(cancelled ? 0 : 1);
        },
      );
      break;
    case 'cancel':
      controller.abort();
      break;
    case 'record-result': {
      const pending = pendingRecords.get(message.requestId);
      pendingRecords.delete(message.requestId);
      if (!pending) return;
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(message.message));
      break;
    }
  }
});

// A host that dies (kill -9) closes the IPC channel: a job nobody can record any more stops at once
// (its host marks it interrupted at the next start) instead of running on, orphaned, beside a resumed copy.
process.on('disconnect', () => process.exit(1));

process.on('uncaughtException', (err) => {
  void send({ type: 'failed', message: `Uncaught error in the job process: ${err.message}`, cancelled: false }).then(() => process.exit(1));
});

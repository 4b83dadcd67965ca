/**
 * For renderer tests that run the app's real server side: handlers that answer through the real
 * dispatch (contract validation, the app's handlers) on a test workspace, and class-folder
 * datasets written as real PNG files.
 */
import { unwrapEnvelope } from '../../src-renderer/src/api/envelope.ts';
import type { CallName } from '../../src-main/common/contract/index.ts';
import type { Workspace } from '../../src-main/core/workspace.ts';
import { EventBus } from '../../src-main/core/event-bus.ts';
import type { JobManager } from '../../src-main/core/jobs/job-manager.ts';
import { dispatch } from '../../src-main/core/dispatch.ts';
import { handlers as appHandlers } from '../../src-main/app/handlers.ts';
import { tempDir, writeImage } from '../datasets/fixtures.ts';
import type { Handlers } from './fake-api.ts';

/** `names` answered by the real dispatch on `ws` (jobs: null where no call of `names` queues one). */
export function realHandlers(ws: Workspace, jobs: JobManager | null, names: CallName[]): Handlers {
  const ctx = { ws, jobs: jobs as JobManager, events: new EventBus() };
  return Object.fromEntries(names.map((name) => [name, async (req: unknown) => unwrapEnvelope(await dispatch(appHandlers, ctx, name, req), name)])) as Handlers;
}

/** A folder per class with `n` distinct 8x8 PNGs each; the root is pushed onto `dirs` for cleanup. */
export async function classFolders(classes: Record<string, number>, dirs: string[]): Promise<string> {
  const root = tempDir();
  dirs.push(root);
  let k = 0;
  for (const [name, n] of Object.entries(classes)) {
    k++;
    for (let i = 0; i < n; i++) await writeImage(`${root}/${name}/${i}.png`, 8, 8, [40 * k, 20 * i, 100], 'png');
  }
  return root;
}

import type { CallName, ParsedReq, Res } from '../common/contract/index.ts';
import type { Workspace } from './workspace.ts';
import type { JobManager } from './jobs/job-manager.ts';
import type { EventBus } from './event-bus.ts';

/** What every handler gets: the open workspace, the job manager, and the event bus. */
export interface ServiceContext {
  ws: Workspace;
  jobs: JobManager;
  events: EventBus;
}

export type Handler<K extends CallName> = (request: ParsedReq<K>, ctx: ServiceContext) => Promise<Res<K>> | Res<K>;
export type HandlerMap<Keys extends CallName> = { [K in Keys]: Handler<K> };

/** One handler per contract call (composed in src-main/app/handlers.ts); the type makes a missing handler a compile error. */
export type HandlerTable = { [K in CallName]: Handler<K> };

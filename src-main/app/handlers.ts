import type { HandlerTable } from '../core/handler-types.ts';
import { workspaceHandlers } from '../core/handlers/workspace.ts';
import { settingsHandlers } from '../core/handlers/settings.ts';
import { jobsHandlers } from '../core/handlers/jobs.ts';
import { engineHandlers } from '../core/handlers/engine.ts';
import { datasetsHandlers } from '../datasets/api.ts';
import { augmentHandlers } from '../augment/api.ts';
import { modelsHandlers } from '../models/api.ts';
import { trainHandlers } from '../train/api.ts';
import { pruneHandlers } from '../prune/api.ts';
import { spganHandlers } from '../spgan/api.ts';
import { reidHandlers } from '../reid/api.ts';
import { localizeHandlers } from '../localize/api.ts';
import { adaptHandlers } from '../adapt/api.ts';
import { slurmHandlers } from '../slurm/api.ts';
import { reproduceHandlers } from '../reproduce/api.ts';

/** One handler per contract call; the type makes a missing handler a compile error. */
export const handlers: HandlerTable = {
  ...workspaceHandlers,
  ...settingsHandlers,
  ...jobsHandlers,
  ...engineHandlers,
  ...datasetsHandlers,
  ...augmentHandlers,
  ...modelsHandlers,
  ...trainHandlers,
  ...pruneHandlers,
  ...spganHandlers,
  ...reidHandlers,
  ...localizeHandlers,
  ...adaptHandlers,
  ...slurmHandlers,
  ...reproduceHandlers,
};

import type { CallName } from '../../common/contract/index.ts';
import type { Handler } from '../handler-types.ts';
import { workspaceHandlers } from './workspace.ts';
import { jobsHandlers } from './jobs.ts';
import { engineHandlers } from '../../engine/api.ts';
import { datasetsHandlers } from '../../datasets/api.ts';
import { augmentHandlers } from '../../augment/api.ts';
import { modelsHandlers } from '../../models/api.ts';
import { trainingHandlers } from '../../train/api.ts';
import { compareHandlers } from '../../export/api.ts';
import { spganHandlers } from '../../spgan/api.ts';
import { reidHandlers } from '../../reid/api.ts';

/** One handler per contract call; the type makes a missing handler a compile error. */
export const handlers: { [K in CallName]: Handler<K> } = {
  ...workspaceHandlers,
  ...jobsHandlers,
  ...engineHandlers,
  ...datasetsHandlers,
  ...augmentHandlers,
  ...modelsHandlers,
  ...trainingHandlers,
  ...compareHandlers,
  ...spganHandlers,
  ...reidHandlers,
};

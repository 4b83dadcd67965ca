import type { JobRunner } from '../../core/jobs/spec.ts';
import type { EngineBenchParams, EngineBenchResult } from '../../common/contract/engine.ts';
import { benchModelByModel } from './model-by-model.ts';

/**
 * The engine.bench job: one process per model (bench/engine/model-by-model.ts), each inheriting the
 * job process's engine choice (WORKBENCH_BACKEND), so each model's peak memory is its own.
 */
const run: JobRunner<EngineBenchParams, EngineBenchResult> = async (ctx) => {
  let step = 0;
  return benchModelByModel(ctx.params, {
    signal: ctx.signal,
    log: (line) => ctx.log(line),
    progress: (fraction, label) => ctx.progress({ fraction, step: label }),
    metric: (name, value) => ctx.metrics([{ step: step++, epoch: null, name, value }]),
  });
};

export default run;

import type { JobRunner } from '../../core/jobs/spec.ts';
import type { EngineBenchParams, EngineBenchResult } from '../../common/contract/engine.ts';
import { initEngine } from '../../engine/init.ts';
import { runEngineBench } from './engine-bench.ts';

/** The engine.bench job: runs in the job process, whose engine is already chosen (WORKBENCH_BACKEND). */
const run: JobRunner<EngineBenchParams, EngineBenchResult> = async (ctx) => {
  const engine = await initEngine();
  let step = 0;
  return runEngineBench(ctx.params, engine, {
    signal: ctx.signal,
    log: (line) => ctx.log(line),
    progress: (fraction, label) => ctx.progress({ fraction, step: label }),
    metric: (name, value) => ctx.metrics([{ step: step++, epoch: null, name, value }]),
  });
};

export default run;

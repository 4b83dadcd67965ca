import { jobKinds } from '../../common/contract/kinds.ts';
import { defineJob, type AnyJobSpec } from '../../core/jobs/spec.ts';
import { engineBenchParamsSchema, type EngineBenchParams, type EngineBenchResult } from '../../common/contract/engine.ts';

/** Benchmarks the engine (ResNet-20/56 training and inference) beside PyTorch CPU; see bench/engine-bench.ts. */
export const engineBenchJob = defineJob<EngineBenchParams, EngineBenchResult>({
  kind: jobKinds.engineBench,
  params: engineBenchParamsSchema,
  title: (p) => `Engine benchmark (${p.models.join(', ')}, batch ${p.batchSize})`,
  // It measures throughput: it must not share the cores with another compute job.
  resource: 'compute',
  resumable: false,
  load: () => import('./bench-runner.ts'),
});

/** Job kinds of the compute engine. */
export const engineJobSpecs: AnyJobSpec[] = [engineBenchJob];

/**
 * The API contract: every call the UI (or any host client) can make, with its
 * request schema and response type, and every event the backend pushes.
 * Each domain declares its calls in its own file; this file merges them. Hosts
 * register handlers against this one object (see src-main/core/handlers).
 */
import type { z } from 'zod';
import type { CallDef } from './define.ts';
import { workspaceCalls } from './workspace.ts';
import { settingsCalls } from './settings.ts';
import { jobsCalls } from './jobs.ts';
import { engineCalls } from './engine.ts';
import { datasetsCalls } from './datasets.ts';
import { augmentCalls } from './augment.ts';
import { modelsCalls } from './models.ts';
import { trainCalls } from './train.ts';
import { pruneCalls } from './prune.ts';
import { spganCalls } from './spgan.ts';
import { reidCalls } from './reid.ts';
import { localizeCalls } from './localize.ts';
import { adaptCalls } from './adapt.ts';
import { slurmCalls } from './slurm.ts';
import { reproduceCalls } from './reproduce.ts';

export const contract = {
  ...workspaceCalls,
  ...settingsCalls,
  ...jobsCalls,
  ...engineCalls,
  ...datasetsCalls,
  ...augmentCalls,
  ...modelsCalls,
  ...trainCalls,
  ...pruneCalls,
  ...spganCalls,
  ...reidCalls,
  ...localizeCalls,
  ...adaptCalls,
  ...slurmCalls,
  ...reproduceCalls,
} as const;

export type Contract = typeof contract;
export type CallName = keyof Contract;
export type Req<K extends CallName> = z.input<Contract[K]['request']>;
/** The request after validation (defaults applied). */
export type ParsedReq<K extends CallName> = z.output<Contract[K]['request']>;
export type Res<K extends CallName> = Contract[K] extends CallDef<z.ZodType, infer R> ? R : never;

export function isCallName(name: string): name is CallName {
  return Object.prototype.hasOwnProperty.call(contract, name);
}

export * from './workspace.ts';
export * from './settings.ts';
export * from './jobs.ts';
export * from './kinds.ts';
export * from './engine.ts';
export * from './datasets.ts';
export * from './augment.ts';
export * from './models.ts';
export * from './train.ts';
export * from './prune.ts';
export * from './spgan.ts';
export * from './reid.ts';
export * from './localize.ts';
export * from './adapt.ts';
export * from './slurm.ts';
export * from './reproduce.ts';
export * from './events.ts';
export * from './errors.ts';
export * from './kinds.ts';

import { z } from 'zod';
import { call } from './define.ts';
import { backendRequestSchema, type BackendRequestName } from './engine.ts';

/** Workspace settings (stored in its database, so they travel with the workspace). */
export interface SettingsMap {
  theme: 'system' | 'light' | 'dark';
  backend: BackendRequestName;
  computeConcurrency: number;
  /** Resource limits every importer and the model import check before reading or allocating. */
  limits: ResourceLimits;
  /** Folders below which the import dialog suggests folders as a path is typed (the browser host lists nothing elsewhere). */
  importRoots: string[];
  [key: string]: unknown;
}

/**
 * What one file may cost before the workbench reads it. A file over a limit is
 * refused (importers: skipped with a `too_large` problem naming the file and the
 * limit); labs with bigger data raise the limit in the settings.
 */
export interface ResourceLimits {
  /** Width x height of one image file (read from its header, never decoded to check). */
  maxImagePixels: number;
  /** Bytes of one image file. */
  maxImageFileBytes: number;
  /** Bytes of one binary dataset file once decompressed (IDX, CIFAR); also caps a gzip stream. */
  maxDecodedFileBytes: number;
  /** Bytes of one text file an importer reads (label lists, box lists, class names). */
  maxTextFileBytes: number;
  /** Height x width of a model's input (the import runs a forward pass on one such input). */
  maxModelInputPixels: number;
  /** Bytes of a model's weights file. */
  maxModelWeightBytes: number;
}

const limitSchema = z.number().int().min(1).max(2 ** 50);
export const resourceLimitsSchema = z
  .object({
    maxImagePixels: limitSchema,
    maxImageFileBytes: limitSchema,
    maxDecodedFileBytes: limitSchema,
    maxTextFileBytes: limitSchema,
    maxModelInputPixels: limitSchema,
    maxModelWeightBytes: limitSchema,
  })
  .strict();

export const defaultResourceLimits: ResourceLimits = {
  maxImagePixels: 100_000_000,
  maxImageFileBytes: 256 * 1024 ** 2,
  maxDecodedFileBytes: 2 * 1024 ** 3,
  maxTextFileBytes: 256 * 1024 ** 2,
  maxModelInputPixels: 1024 * 1024,
  maxModelWeightBytes: 2 * 1024 ** 3,
};

export const settingsCalls = {
  'settings.get': call<SettingsMap>()(z.object({}).strict(), 'All settings with their defaults filled in.'),
  'settings.set': call<SettingsMap>()(
    z
      .object({
        theme: z.enum(['system', 'light', 'dark']).optional(),
        backend: backendRequestSchema.optional(),
        computeConcurrency: z.number().int().min(1).max(8).optional(),
        limits: resourceLimitsSchema.partial().optional(),
        importRoots: z.array(z.string().min(1).refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be an absolute path')).max(50).optional(),
      })
      .strict(),
    'Change settings; returns them all.',
  ),
};

import type { Migration } from '../migrate.ts';

/**
 * A run's tags and notes (the experiment log): kept on the run's first job,
 * so a run and its resumes share them.
 * - `tags`: a JSON array of short strings;
 * - `notes`: free text.
 */
export const migration007: Migration = {
  version: 7,
  name: 'run-notes',
  sql: `
ALTER TABLE jobs ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
`,
};

import type { Migration } from '../migrate.ts';

/**
 * The real path of a sample's file where the import followed a symbolic link
 * out of the dataset folder (the `followLinksOut` import option). Every read
 * checks the link still leads there; a sample without it must resolve inside
 * the dataset's real root.
 */
export const migration004: Migration = {
  version: 4,
  name: 'sample-real-path',
  sql: `
ALTER TABLE samples ADD COLUMN real_path TEXT;
`,
};

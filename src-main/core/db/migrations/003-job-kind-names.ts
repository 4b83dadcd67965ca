import type { Migration } from '../migrate.ts';

/**
 * Job kinds follow `<domain>.<verb>`, the domain being the word of the kind's
 * contract file and folder: 'train' -> 'train.run', 'dataset.import' ->
 * 'datasets.import', 'model.compact' -> 'models.compact'. Stored jobs are
 * renamed so lists, filters and resume keep working; a submit under an old name
 * is mapped by common/contract/kinds.ts (legacyJobKinds).
 */
export const migration003: Migration = {
  version: 3,
  name: 'job-kind-names',
  sql: `
UPDATE jobs SET kind = 'train.run' WHERE kind = 'train';
UPDATE jobs SET kind = 'datasets.import' WHERE kind = 'dataset.import';
UPDATE jobs SET kind = 'models.compact' WHERE kind = 'model.compact';
`,
};

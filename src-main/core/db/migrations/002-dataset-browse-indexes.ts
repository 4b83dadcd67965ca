import type { Migration } from '../migrate.ts';

/**
 * Indexes for the dataset browser's filters (a 100,000-image grid filtered by
 * class, camera or domain must page quickly) and for refusing a second import
 * of the same root.
 */
export const migration002: Migration = {
  version: 2,
  name: 'dataset-browse-indexes',
  sql: `
CREATE INDEX samples_by_label ON samples(dataset_id, label);
CREATE INDEX samples_by_camera ON samples(dataset_id, camera);
CREATE INDEX samples_by_domain ON samples(dataset_id, domain);
CREATE INDEX datasets_by_root ON datasets(root_path);
`,
};

import type Database from 'better-sqlite3';

/**
 * The domains of a dataset imported as domain folders (samples.domain), for
 * the job's preflight and the runner; no image reading here, so the job spec
 * stays light (domain-data.ts reads the images).
 */

/** The domains of a dataset with their image counts and distinct image sizes. */
export function domainsOf(db: Database.Database, datasetId: number): { domain: string; n: number; sizes: number }[] {
  return db
    .prepare("SELECT domain, COUNT(*) AS n, COUNT(DISTINCT width || 'x' || height) AS sizes FROM samples WHERE dataset_id = ? AND domain IS NOT NULL GROUP BY domain ORDER BY domain")
    .all(datasetId) as { domain: string; n: number; sizes: number }[];
}

/** The [height, width] every image of the domain has, or null when they differ (or are unknown). */
export function domainImageSize(db: Database.Database, datasetId: number, domain: string): [number, number] | null {
  const rows = db.prepare('SELECT DISTINCT height, width FROM samples WHERE dataset_id = ? AND domain = ?').all(datasetId, domain) as { height: number | null; width: number | null }[];
  return rows.length === 1 && rows[0]!.height !== null && rows[0]!.width !== null ? [rows[0]!.height, rows[0]!.width] : null;
}

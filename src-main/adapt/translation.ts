import type Database from 'better-sqlite3';
import { openDatasetReader, type DatasetReader } from '../datasets/reader.ts';

/**
 * The translated image of each index of a source reader, through the
 * translation's `extra.sourceSampleId` (as the SPGAN/CycleGAN translation job
 * and `adapt.generate` write it), or -1; `reader` reads the whole translated
 * set as 3-channel images of `size`. Throws naming `translatedDatasetId` when
 * no image of the set translates one of the source reader's.
 */
export async function translationsOf(db: Database.Database, translatedDatasetId: number, source: DatasetReader, size: [number, number]): Promise<{ reader: DatasetReader; of: Int32Array }> {
  const reader = await openDatasetReader(db, translatedDatasetId, { size, channels: 3 });
  const rows = db.prepare("SELECT id, json_extract(extra, '$.sourceSampleId') AS src FROM samples WHERE dataset_id = ?").all(translatedDatasetId) as { id: number; src: number | null }[];
  const indexOfSample = new Map(reader.sampleIds.map((sid, i) => [sid, i]));
  const bySource = new Map<number, number>();
  for (const r of rows) if (r.src !== null && indexOfSample.has(r.id)) bySource.set(r.src, indexOfSample.get(r.id)!);
  const of = Int32Array.from(source.sampleIds, (sid) => bySource.get(sid) ?? -1);
  const paired = of.filter((v) => v >= 0).length;
  if (paired === 0) throw new Error(`translatedDatasetId: no image of dataset ${translatedDatasetId} names a source image of dataset ${source.datasetId} (its samples carry sourceSampleId when made by the translation job).`);
  return { reader, of };
}

import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';

/**
 * What an evaluation leaves for the ranked-list explorer, in the eval job's
 * folder: `ranking.json` (ids, labels, per-query AP and first good rank) plus
 * `topk-index.bin` (Int32 [nq, topK] gallery indices of the full ranking, junk
 * included) and `topk-distance.bin` (Float32, same layout), and the L2-normalised
 * features (`features-query.bin`, `features-gallery.bin`, Float32 [n, dim]).
 */
export interface RankingFile {
  version: 1;
  modelId: number;
  queryDatasetId: number;
  galleryDatasetId: number;
  topK: number;
  featureDim: number;
  query: { sampleIds: number[]; personIds: number[]; cameras: number[] };
  gallery: { sampleIds: number[]; personIds: number[]; cameras: number[] };
  ap: number[];
  /** 0 = no good match. */
  firstGoodRank: number[];
}

export const RANKING_JSON = 'ranking.json';

function writeAtomic(file: string, data: string | Buffer): void {
  writeFileSync(file + '.tmp', data);
  renameSync(file + '.tmp', file);
}

function bytes(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function writeEvalFiles(dir: string, ranking: RankingFile, topIndex: Int32Array, topDistance: Float32Array, queryFeatures: Float32Array, galleryFeatures: Float32Array): string {
  writeAtomic(path.join(dir, 'topk-index.bin'), bytes(topIndex));
  writeAtomic(path.join(dir, 'topk-distance.bin'), bytes(topDistance));
  writeAtomic(path.join(dir, 'features-query.bin'), bytes(queryFeatures));
  writeAtomic(path.join(dir, 'features-gallery.bin'), bytes(galleryFeatures));
  const file = path.join(dir, RANKING_JSON);
  writeAtomic(file, JSON.stringify(ranking));
  return file;
}

export interface LoadedRanking extends RankingFile {
  topIndex: Int32Array;
  topDistance: Float32Array;
}

export function readEvalFiles(rankingJson: string): LoadedRanking {
  const dir = path.dirname(rankingJson);
  const ranking = JSON.parse(readFileSync(rankingJson, 'utf8')) as RankingFile;
  const idx = readFileSync(path.join(dir, 'topk-index.bin'));
  const dist = readFileSync(path.join(dir, 'topk-distance.bin'));
  return {
    ...ranking,
    topIndex: new Int32Array(idx.buffer.slice(idx.byteOffset, idx.byteOffset + idx.byteLength)),
    topDistance: new Float32Array(dist.buffer.slice(dist.byteOffset, dist.byteOffset + dist.byteLength)),
  };
}

import type Database from 'better-sqlite3';
import { openDatasetReader } from '../datasets/reader.ts';
import { hashSeed, mulberry32, permutation } from '../common/random.ts';
import type { RunData } from '../train/data.ts';

/**
 * One domain of a dataset imported as domain folders (Office-31: amazon,
 * dslr, webcam, each a folder of class folders), read as one side of an
 * adaptation run. Such sets have no splits, so the protocol is the one the
 * Office-31 papers use: the source trains on every labelled image of its
 * domain (no source accuracy: nothing is held out), and the target's images
 * are all at once the unlabeled training images and, by labels that only
 * measure, the test set.
 */

export interface DomainRead {
  datasetId: number;
  domain: string;
  role: 'source' | 'target';
  /** [height, width] the images are resized to. */
  size: [number, number];
  /** Seeded choice of this many training images (the same choice as a split-based run's `limit`). */
  limit?: number | undefined;
  /** The first this many target test images. */
  testLimit?: number | undefined;
  seed: number;
}

export async function openDomainData(db: Database.Database, o: DomainRead): Promise<RunData> {
  const reader = await openDatasetReader(db, o.datasetId, { size: o.size, channels: 3 });
  const inDomain = Array.from({ length: reader.count }, (_, i) => i).filter((i) => reader.meta(i).domain === o.domain);
  if (inDomain.length === 0) throw new Error(`${o.role}Domain: dataset ${o.datasetId} has no images in domain "${o.domain}".`);
  const labelled = inDomain.filter((i) => reader.labels[i]! >= 0);
  if (labelled.length === 0 && o.role === 'source') throw new Error(`sourceDomain: domain "${o.domain}" of dataset ${o.datasetId} has no labelled images.`);
  // The source trains on its labelled images, the target on all of its images (labels unread).
  const pool = o.role === 'source' ? labelled : inDomain;
  const order = permutation(pool.length, mulberry32(hashSeed(o.seed, 0x5a11d)));
  let chosen = Int32Array.from(order, (k) => pool[k]!);
  if (o.limit !== undefined && o.limit < chosen.length) chosen = chosen.slice(0, o.limit);
  const testIdx = o.role === 'target' ? Int32Array.from(o.testLimit !== undefined ? labelled.slice(0, o.testLimit) : labelled) : new Int32Array(0);
  return {
    train: reader,
    val: reader,
    test: o.role === 'target' ? reader : null,
    trainIdx: chosen.slice().sort(),
    valIdx: new Int32Array(0),
    testIdx,
    pipeline: null,
    height: reader.height,
    width: reader.width,
    channels: reader.channels,
    numClasses: reader.numClasses,
    classNames: reader.classNames,
    skipped: new Map(),
  };
}

/** Per-epoch filter records written while pruning (one JSON file per masking, read by prune.filterHistory). */
export interface FilterRecordFile {
  epoch: number;
  rate: number;
  /** Importance criterion of the mask (absent in files of older runs: l2). */
  criterion?: string;
  layers: { name: string; role: string; rate: number; norms: number[]; zeroed: number[] }[];
}

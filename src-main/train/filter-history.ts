/** Per-epoch filter records written while pruning (one JSON file per masking, read by prune.filterHistory). */
export interface FilterRecordFile {
  epoch: number;
  rate: number;
  layers: { name: string; role: string; rate: number; norms: number[]; zeroed: number[] }[];
}

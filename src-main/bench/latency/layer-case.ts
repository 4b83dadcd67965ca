/** A 3x3 conv of a 30%-pruned CIFAR ResNet (or its unpruned twin) with a chosen epilogue, for the per-layer benches. */
export interface LayerCase {
  label: string;
  hw: number;
  ci: number;
  co: number;
  stride?: number;
  /** Residual width: with `scatter`, the co outputs land on co of these channels (spread evenly, as pruning leaves them). */
  width?: number;
  scatter?: boolean;
  residual?: boolean;
  map?: boolean;
}

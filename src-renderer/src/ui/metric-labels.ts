/**
 * Metric names as people read them, for every chart's legend (UiChart applies it to each series):
 * `val_accuracy` -> "Validation accuracy", `images_per_second` -> "Images/s". Names the table does
 * not know and that are not snake_case metric names (model names, "d_A") are shown as they are.
 */
const names: Record<string, string> = {
  loss: 'Training loss',
  accuracy: 'Training accuracy',
  lr: 'Learning rate',
  learning_rate: 'Learning rate',
  batch_lr: 'Learning rate (per batch)',
  batch_loss: 'Training loss (per batch)',
  images_per_second: 'Images/s',
  epoch_seconds: 'Seconds per epoch',
  seconds_per_epoch: 'Seconds per epoch',
  val_loss: 'Validation loss',
  val_accuracy: 'Validation accuracy',
  val_accuracy_bn: 'Validation accuracy (BN re-estimated)',
  test_loss: 'Test loss',
  test_accuracy: 'Test accuracy',
  test_accuracy_bn: 'Test accuracy (BN re-estimated)',
  train_accuracy: 'Training accuracy',
  prune_rate: 'Pruning rate',
  source_accuracy: 'Source accuracy',
  target_accuracy: 'Target accuracy',
  ce_loss: 'Cross-entropy loss',
  map: 'mAP',
  rank1: 'Rank-1',
  rank5: 'Rank-5',
  rank10: 'Rank-10',
  rank20: 'Rank-20',
};

/** Words of a snake_case name the table does not list (e.g. `val_rank1` -> "Validation rank-1"). */
const words: Record<string, string> = { val: 'validation', train: 'training', acc: 'accuracy', lr: 'learning rate', bn: '(BN re-estimated)', map: 'mAP', per: 'per', img: 'images', s: 's' };

export function metricLabel(name: string): string {
  const known = names[name];
  if (known) return known;
  if (!/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(name)) return name;
  const text = name
    .split('_')
    .map((w) => words[w] ?? (/^rank\d+$/.test(w) ? `rank-${w.slice(4)}` : w))
    .join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

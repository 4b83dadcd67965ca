/**
 * The colour of a confusion-matrix cell, shared by every confusion table
 * (training test results, adaptation on the target): green on the diagonal,
 * red off it, its strength following the cell's share of its row (true class).
 */
export function confusionHeat(isDiagonal: boolean, rowShare: number): Record<string, string> {
  if (rowShare === 0) return {};
  const rgb = isDiagonal ? '41, 163, 82' : '224, 58, 58';
  return { background: `rgba(${rgb}, ${(0.12 + 0.78 * rowShare).toFixed(3)})`, color: rowShare > 0.55 ? '#fff' : 'inherit' };
}

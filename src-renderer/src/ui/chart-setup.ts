import {
  BarController, BarElement, CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip,
} from 'chart.js';

/** Registers only the chart.js parts the views use (keeps the bundle small). */
let registered = false;
export function ensureChartsRegistered(): void {
  if (registered) return;
  Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);
  registered = true;
}

/** Reads the theme's CSS variables so charts match light and dark. */
export function chartColors(): { text: string; grid: string; palette: string[] } {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text-muted', '#5d6776'),
    grid: v('--border', '#d9dde3'),
    palette: [v('--accent', '#2f6fde'), '#e8743b', '#19a979', '#945ecf', '#ed4a7b', '#13a4b4', '#bf9b30', '#6c8893'],
  };
}

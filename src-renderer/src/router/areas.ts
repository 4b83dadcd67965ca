import type { Component } from 'vue';

/** One navigation area: its place in the sidebar, its CmdOrCtrl+<digit> shortcut and its view. */
export interface Area {
  name: string;
  path: string;
  title: string;
  /** One glyph for the compact sidebar. */
  icon: string;
  view: () => Promise<Component>;
}

/** The areas in sidebar order; CmdOrCtrl+1..9 follow this order. */
export const areas: readonly Area[] = [
  { name: 'datasets', path: '/datasets', title: 'Datasets', icon: '▦', view: () => import('../datasets/DatasetsPage.vue') },
  { name: 'augment', path: '/augment', title: 'Augmentations', icon: '◩', view: () => import('../augment/AugmentPage.vue') },
  { name: 'training', path: '/training', title: 'Training', icon: '↗', view: () => import('../training/TrainingPage.vue') },
  { name: 'compare', path: '/compare', title: 'Pruning & Compare', icon: '✂', view: () => import('../compare/ComparePage.vue') },
  { name: 'spgan', path: '/translation', title: 'Translation (SPGAN)', icon: '⇄', view: () => import('../spgan/SpganPage.vue') },
  { name: 'runs', path: '/runs', title: 'Runs', icon: '☰', view: () => import('../runs/RunsPage.vue') },
  { name: 'localize', path: '/localization', title: 'Localization', icon: '◎', view: () => import('../localize/LocalizePage.vue') },
  { name: 'adapt', path: '/adaptation', title: 'Domain adaptation', icon: '⇆', view: () => import('../adapt/AdaptPage.vue') },
  { name: 'reproduce', path: '/reproductions', title: 'Reproductions', icon: '≡', view: () => import('../reproduce/ReproducePage.vue') },
  { name: 'settings', path: '/settings', title: 'Settings', icon: '⚙', view: () => import('../settings/SettingsPage.vue') },
];

/**
 * The key that opens an area with CmdOrCtrl: its position for the first nine,
 * "," for Settings (the desktop convention); null where no single key is left
 * (a tenth area cannot be a digit).
 */
export function areaShortcutKey(index: number): string | null {
  if (areas[index]?.name === 'settings') return ',';
  return index < 9 ? String(index + 1) : null;
}

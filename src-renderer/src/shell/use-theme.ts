import { ref, watch, type Ref } from 'vue';

type Theme = 'system' | 'light' | 'dark';
/** Bumped whenever the effective theme changes, so canvases (charts) can redraw. */
const version = ref(0);

export function useThemeVersion(): Ref<number> {
  return version;
}

/**
 * Applies the theme by writing the effective one ('light' or 'dark') to
 * data-theme on <html>: 'system' follows prefers-color-scheme, live. The CSS
 * then needs one dark palette, keyed on data-theme only.
 */
export function useTheme(setting: Ref<Theme | undefined>): void {
  const root = document.documentElement;
  const media = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const apply = (): void => {
    const theme = setting.value;
    root.dataset.theme = theme === 'light' || theme === 'dark' ? theme : media?.matches ? 'dark' : 'light';
    version.value++;
  };
  media?.addEventListener?.('change', apply);
  watch(setting, apply, { immediate: true });
}

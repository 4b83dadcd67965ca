import { ref, watch, type Ref } from 'vue';

type Theme = 'system' | 'light' | 'dark';
/** Bumped whenever the effective theme changes, so canvases (charts) can redraw. */
const version = ref(0);

export function useThemeVersion(): Ref<number> {
  return version;
}

/**
 * Applies the theme: 'system' leaves colours to prefers-color-scheme (CSS),
 * 'light'/'dark' pin them through data-theme on <html>.
 */
export function useTheme(setting: Ref<Theme | undefined>): void {
  const root = document.documentElement;
  const media = typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  media?.addEventListener?.('change', () => version.value++);
  watch(
    setting,
    (theme) => {
      if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
      else delete root.dataset.theme;
      version.value++;
    },
    { immediate: true },
  );
}

import { onBeforeUnmount, onMounted } from 'vue';
import type { Router } from 'vue-router';
import { areas } from '../router/areas.ts';

export function isMac(): boolean {
  return /Mac|iPhone|iPad/.test(navigator.platform);
}

/** CmdOrCtrl as Electron spells it: Command on macOS, Control elsewhere. */
export function hasCmdOrCtrl(event: KeyboardEvent): boolean {
  return isMac() ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
}

/** Desktop accelerators: CmdOrCtrl+1..9 areas, CmdOrCtrl+, settings, CmdOrCtrl+J jobs panel. */
export function useShortcuts(router: Router, toggleJobs: () => void): void {
  function onKey(event: KeyboardEvent): void {
    if (!hasCmdOrCtrl(event) || event.altKey) return;
    const digit = Number.parseInt(event.key, 10);
    if (digit >= 1 && digit <= areas.length) {
      event.preventDefault();
      void router.push(areas[digit - 1]!.path);
    } else if (event.key === ',') {
      event.preventDefault();
      void router.push('/settings');
    } else if (event.key.toLowerCase() === 'j') {
      event.preventDefault();
      toggleJobs();
    }
  }
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}

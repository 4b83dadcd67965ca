import { computed, type ComputedRef } from 'vue';
import { useRoute } from 'vue-router';

/** The numeric id an area's sub-path carries (e.g. /runs/12 -> 12), or null. */
export function useRouteId(position = 0): ComputedRef<number | null> {
  const route = useRoute();
  return computed(() => {
    const rest = route.params.rest;
    const parts = Array.isArray(rest) ? rest : rest ? [rest] : [];
    const n = Number(parts[position]);
    return Number.isInteger(n) && n > 0 ? n : null;
  });
}

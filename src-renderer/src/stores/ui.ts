import { defineStore } from 'pinia';
import { ref } from 'vue';

/** Shell state that is not backend data: panels open or closed. */
export const useUiStore = defineStore('ui', () => {
  const jobsPanelOpen = ref(false);
  function toggleJobsPanel(open?: boolean): void {
    jobsPanelOpen.value = open ?? !jobsPanelOpen.value;
  }
  return { jobsPanelOpen, toggleJobsPanel };
});

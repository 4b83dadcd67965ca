/** IPC channel names shared by the main process and the preload. */
export const CALL_CHANNEL = 'workbench:call';
export const EVENT_CHANNEL = 'workbench:event';

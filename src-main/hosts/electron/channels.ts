/** IPC channel names shared by the main process and the preload. */
export const CALL_CHANNEL = 'workbench:call';
export const EVENT_CHANNEL = 'workbench:event';
/** Save a workspace file elsewhere through the system's save dialog (Download in the UI). */
export const SAVE_FILE_CHANNEL = 'workbench:save-file';
/** Show a workspace file in the system's file manager. */
export const SHOW_FILE_CHANNEL = 'workbench:show-file';
/** Choose a folder through the system's folder dialog (the import dialog's Browse). */
export const PICK_FOLDER_CHANNEL = 'workbench:pick-folder';

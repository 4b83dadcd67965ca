/**
 * The sandboxed preload: exposes exactly the WorkbenchApi transport to the page
 * (window.workbench), nothing of Node or Electron.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_FOLDER_CHANNEL, SAVE_FILE_CHANNEL, SHOW_FILE_CHANNEL } from './channels.ts';

type Listener = (payload: unknown) => void;

const api = {
  call: (name: string, request: unknown): Promise<unknown> => ipcRenderer.invoke(CALL_CHANNEL, name, request),
  on: (event: string, listener: Listener): (() => void) => {
    const handler = (_e: IpcRendererEvent, message: { event: string; payload: unknown }): void => {
      if (message.event === event) listener(message.payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
  fileUrl: (absolutePath: string, options?: { thumb?: number }): string =>
    `wb-file://file/${encodeURIComponent(absolutePath)}${options?.thumb ? `?thumb=${options.thumb}` : ''}`,
  sampleUrl: (sampleId: number, options?: { thumb?: number }): string =>
    `wb-file://sample/${sampleId}${options?.thumb ? `?thumb=${options.thumb}` : ''}`,
  download: async (absolutePath: string): Promise<void> => {
    await ipcRenderer.invoke(SAVE_FILE_CHANNEL, absolutePath);
  },
  showInFolder: async (absolutePath: string): Promise<void> => {
    await ipcRenderer.invoke(SHOW_FILE_CHANNEL, absolutePath);
  },
  pickFolder: async (): Promise<string | null> => ((await ipcRenderer.invoke(PICK_FOLDER_CHANNEL)) as string | null) ?? null,
};

contextBridge.exposeInMainWorld('workbench', api);

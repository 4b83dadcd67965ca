/**
 * Electron main process: a thin host. It opens the workspace through the same
 * core as the browser host and the CLI, forwards contract calls from the
 * preload, pushes events, and serves dataset files through wb-file://.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeTheme, session, shell } from 'electron';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCore, type WorkbenchCore } from '../../app/open-core.ts';
import { defaultWorkspaceDir } from '../../core/workspace.ts';
import { readSettings } from '../../core/settings.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, PICK_FOLDER_CHANNEL, SAVE_FILE_CHANNEL, SHOW_FILE_CHANNEL } from './channels.ts';
import { resolveServableFile } from '../../core/file-access.ts';
import { handleFileScheme, registerFileScheme } from './file-protocol.ts';
import { applySessionPolicy, lockNavigation } from './security.ts';
import { utilityLauncher } from './utility-launcher.ts';
import { buildMenu } from './menu.ts';

const mainDir = path.dirname(fileURLToPath(import.meta.url));
let core: WorkbenchCore | null = null;

function workspaceArg(): string | undefined {
  const i = process.argv.indexOf('--workspace');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Pruning & Re-ID Workbench',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#16181d' : '#ffffff',
    webPreferences: {
      preload: path.join(mainDir, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  const appUrl = devUrl ?? 'file://' + path.join(mainDir, '..', 'renderer');
  lockNavigation(win, appUrl);
  win.once('ready-to-show', () => win.show());
  if (devUrl) void win.loadURL(devUrl);
  else void win.loadFile(path.join(mainDir, '..', 'renderer', 'index.html'));
  return win;
}

registerFileScheme();

app.whenReady().then(() => {
  core = openCore({ workspaceDir: workspaceArg() ?? defaultWorkspaceDir(), launcher: utilityLauncher(mainDir), host: 'electron' });
  const opened = core;
  const theme = readSettings(opened.ctx.ws).theme;
  nativeTheme.themeSource = theme;
  applySessionPolicy(session.defaultSession);
  handleFileScheme(opened);

  ipcMain.handle(CALL_CHANNEL, (event, name: unknown, request: unknown) => {
    // Only our own top-level page may call: a frame from elsewhere gets nothing.
    if (event.senderFrame?.parent !== null) return { ok: false, error: { code: 'unauthorized', message: 'Calls from sub-frames are refused.' } };
    if (typeof name !== 'string') return { ok: false, error: { code: 'invalid_request', message: 'Call name must be a string.' } };
    if (name === 'settings.set' && typeof request === 'object' && request && 'theme' in request) {
      nativeTheme.themeSource = (request as { theme: 'system' | 'light' | 'dark' }).theme;
    }
    return opened.dispatch(name, request);
  });
  // Files leave through the same confinement as wb-file:// (workspace and dataset folders, regular files).
  ipcMain.handle(SAVE_FILE_CHANNEL, async (event, requested: unknown) => {
    if (event.senderFrame?.parent !== null || typeof requested !== 'string') return { saved: false };
    const file = resolveServableFile(opened.ctx.ws, requested);
    const win = BrowserWindow.fromWebContents(event.sender);
    const options = { defaultPath: path.join(app.getPath('downloads'), path.basename(file)) };
    const choice = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return { saved: false };
    copyFileSync(file, choice.filePath);
    return { saved: true, path: choice.filePath };
  });
  ipcMain.handle(SHOW_FILE_CHANNEL, (event, requested: unknown) => {
    if (event.senderFrame?.parent !== null || typeof requested !== 'string') return;
    shell.showItemInFolder(resolveServableFile(opened.ctx.ws, requested));
  });
  // Only a path the user chose in the system dialog comes back; the import itself checks it like a typed one.
  ipcMain.handle(PICK_FOLDER_CHANNEL, async (event) => {
    if (event.senderFrame?.parent !== null) return null;
    const win = BrowserWindow.fromWebContents(event.sender);
    const options = { properties: ['openDirectory' as const] };
    const choice = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return choice.canceled ? null : (choice.filePaths[0] ?? null);
  });
  opened.ctx.events.onAny((event, payload) => {
    for (const win of BrowserWindow.getAllWindows()) win.webContents.send(EVENT_CHANNEL, { event, payload });
  });

  Menu.setApplicationMenu(buildMenu({ openWorkspaceFolder: () => void shell.openPath(opened.ctx.ws.dir) }));
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !core) return;
  // Job processes stop first, so their jobs are marked interrupted (resumable) before the database closes.
  event.preventDefault();
  quitting = true;
  void core.close().finally(() => app.quit());
});

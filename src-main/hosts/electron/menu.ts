import { Menu, type MenuItemConstructorOptions } from 'electron';

/**
 * The application menu with the usual desktop accelerators. Area switching
 * (CmdOrCtrl+1..9), settings (CmdOrCtrl+,) and the jobs panel (CmdOrCtrl+J) are
 * handled by the renderer, so they work the same in the browser host.
 */
export function buildMenu(actions: { openWorkspaceFolder: () => void }): Menu {
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Show Workspace Folder', accelerator: 'CmdOrCtrl+Shift+O', click: actions.openWorkspaceFolder },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  return Menu.buildFromTemplate(template);
}

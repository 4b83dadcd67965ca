import type { BrowserWindow, Session } from 'electron';

/** The renderer may load its own code and images from our file protocol, and nothing else. */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: wb-file:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function applySessionPolicy(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } });
  });
  // No camera, microphone, notifications, ...: the workbench needs none.
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
}

/** Navigation away from the app and new windows are refused; links to the web open nowhere. */
export function lockNavigation(win: BrowserWindow, appUrl: string): void {
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(appUrl)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

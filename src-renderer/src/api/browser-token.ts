const storageKey = 'workbench.token';

/**
 * Reads the access token the browser host put in the page address (?token=),
 * keeps it for this tab in sessionStorage and removes it from the address bar,
 * so it does not end up in history, bookmarks or screenshots.
 */
export function takeBrowserToken(loc: Location = window.location, storage: Storage = window.sessionStorage): string {
  const params = new URLSearchParams(loc.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    storage.setItem(storageKey, fromUrl);
    params.delete('token');
    const query = params.toString();
    window.history.replaceState(window.history.state, '', `${loc.pathname}${query ? `?${query}` : ''}${loc.hash}`);
    return fromUrl;
  }
  return storage.getItem(storageKey) ?? '';
}

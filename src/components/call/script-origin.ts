/**
 * The origin this library's script was loaded from, read once at load time (for the
 * classic-script bundle, `import.meta.url` becomes `document.currentScript`, which is
 * only set while the script first runs). A call's default server is this origin, so a
 * page that loads the bundle from a signal server needs no `server` attribute.
 */
function readScriptOrigin(): string | undefined {
  try {
    const url = new URL(import.meta.url);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export const SCRIPT_ORIGIN = readScriptOrigin();

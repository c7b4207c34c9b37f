/**
 * The extension's version, which must be the sidecar's: the wheel ships both, but a
 * FIREFOX_LAUNCHER_BIN override or a stale labextension in another prefix can pair
 * them wrongly, and then requests or fields may not match. A Rust test
 * (tests/cli.rs) holds this equal to package.json and Cargo.toml.
 */
export const EXTENSION_VERSION = '0.1.0';

/**
 * What to tell a person when the sidecar answering `/api/health` is another
 * version, or null when they agree (or the answer names none).
 */
export function versionMismatch(health: unknown, extension: string = EXTENSION_VERSION): string | null {
  const sidecar = (health as { version?: unknown } | null)?.version;
  if (typeof sidecar !== 'string' || sidecar === '' || sidecar === extension) {
    return null;
  }
  const shown = sidecar.replace(/[^0-9A-Za-z.+-]/g, '').slice(0, 32);
  return (
    `The Firefox sidecar is version ${shown}, but this JupyterLab extension is ${extension}: ` +
    'some features may not work. Reinstall jupyterlab-firefox-launcher (one wheel holds both) and restart Jupyter.'
  );
}

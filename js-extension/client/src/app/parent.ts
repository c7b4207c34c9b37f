/**
 * Messages to the page around us (the JupyterLab tab, js-extension/src/client.ts): the title of
 * Firefox's window and the state of the connection. Only to our own origin, and only as data.
 */
export const TITLE_MESSAGE = "firefox-launcher:title";
export const CONNECTION_MESSAGE = "firefox-launcher:connection";

function tell(message: Record<string, string>): void {
  if (window.parent !== window) window.parent.postMessage(message, window.location.origin);
}

/** The page's title and the tab's, as text. */
export function showTitle(title: string): void {
  document.title = title;
  tell({ type: TITLE_MESSAGE, title: String(title) });
}

/** `closed`: given up for good (another client took the session, or the server refused us). */
export function tellConnection(state: "lost" | "established" | "closed"): void {
  tell({ type: CONNECTION_MESSAGE, state });
}

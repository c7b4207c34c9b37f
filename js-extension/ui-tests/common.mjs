// Helpers every browser suite uses: waiting on a condition, racing a deadline, and reading the
// Xpra client's canvas.

/** Flags every headless Chromium of the suites (and of bench/) runs with. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Resolves to null after `ms`, without keeping node alive once everything else is done. */
export const deadline = ms => new Promise(r => setTimeout(r, ms).unref()).then(() => null);

/** Polls `fn` until it returns a truthy value, which it returns; throws after `timeoutMs`. */
export async function waitFor(what, fn, timeoutMs, stepMs = 100) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(stepMs);
    stepMs = Math.min(stepMs * 1.5, 1000);
  }
}

/**
 * Centre pixel of the largest canvas of the Xpra client in `frame`, or null. (`#screen canvas`:
 * Firefox runs fullscreen, and a fullscreen window's div has no `.window` class.)
 */
export function centrePixel(frame) {
  return frame.evaluate(() => {
    const canvases = [...document.querySelectorAll('#screen canvas')].filter(c => c.width > 0 && c.height > 0);
    if (!canvases.length) {
      return null;
    }
    const c = canvases.sort((a, b) => b.width * b.height - a.width * a.height)[0];
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d');
    ctx.drawImage(c, 0, 0);
    const [r, g, b, a] = ctx.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
    return { r, g, b, a, width: c.width, height: c.height, windows: canvases.length };
  });
}

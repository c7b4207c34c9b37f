// What a session page shows, read from the browser's own screenshots: the same for any client,
// including one that draws in a worker (an OffscreenCanvas cannot be read back from the page).
import { inflateSync } from 'node:zlib';

/**
 * Decodes an 8-bit RGB or RGBA PNG (what Chromium's screenshots are) into
 * {width, height, data: RGBA bytes}. Throws on anything else.
 */
export function decodePng(png) {
  const SIGNATURE = '89504e470d0a1a0a';
  if (png.subarray(0, 8).toString('hex') !== SIGNATURE) {
    throw new Error('not a PNG');
  }
  let width = 0, height = 0, channels = 0;
  const idat = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      channels = { 2: 3, 6: 4 }[colour];
      if (depth !== 8 || !channels || interlace !== 0) {
        throw new Error(`PNG of depth ${depth}, colour type ${colour}, interlace ${interlace}: not read here`);
      }
    } else if (type === 'IDAT') {
      idat.push(body);
    }
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels] : 0;
      const b = up[i];
      const c = i >= channels ? up[i - channels] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) {
        throw new Error(`PNG filter ${filter}`);
      }
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rows.copy(data, p * 4, p * channels, p * channels + 3);
    data[p * 4 + 3] = channels === 4 ? rows[p * channels + 3] : 255;
  }
  return { width, height, data };
}

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The {r, g, b, a} at (x, y) of a decoded image. */
export function pixelOf(image, x, y) {
  const i = (Math.floor(y) * image.width + Math.floor(x)) * 4;
  const [r, g, b, a] = image.data.subarray(i, i + 4);
  return { r, g, b, a };
}

/** Where `frame`'s viewport is in its page (the main frame: 0, 0). */
async function frameOrigin(frame) {
  const element = await frame.frameElement().catch(() => null);
  if (!element) {
    return { x: 0, y: 0 };
  }
  const box = await element.boundingBox();
  return box ? { x: box.x, y: box.y } : null;
}

/**
 * A screenshot of the rectangle {x, y, w, h} of `frame`'s viewport (CSS pixels), decoded: what
 * the user sees there, in device pixels.
 */
export async function shot(frame, rect) {
  const origin = await frameOrigin(frame);
  if (!origin || rect.w < 1 || rect.h < 1) {
    return null;
  }
  const page = frame.page();
  const png = await page.screenshot({ clip: { x: origin.x + rect.x, y: origin.y + rect.y, width: rect.w, height: rect.h }, animations: 'allow', caret: 'initial' });
  return decodePng(png);
}

/** The colour the user sees at (x, y) of `frame`'s viewport (CSS pixels). */
export async function pixelAtPoint(frame, x, y) {
  const image = await shot(frame, { x: Math.floor(x), y: Math.floor(y), w: 1, h: 1 });
  return image && pixelOf(image, 0, 0);
}

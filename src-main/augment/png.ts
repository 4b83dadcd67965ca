import sharp from 'sharp';

/**
 * Encodes HWC float pixels (0..255 scale, clamped) as PNG bytes. A 1-channel
 * image stays a grayscale PNG: without the explicit colour space sharp writes
 * it as RGB (three times the pixel data for the same picture).
 */
export async function encodePng(data: Float32Array | Uint8Array, h: number, w: number, c: number): Promise<Buffer> {
  const bytes = new Uint8Array(h * w * c);
  for (let i = 0; i < bytes.length; i++) {
    const v = Math.round(data[i]!);
    bytes[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const image = sharp(Buffer.from(bytes.buffer), { raw: { width: w, height: h, channels: c as 1 | 3 | 4 } });
  return (c === 1 ? image.toColourspace('b-w') : image)
    .png({ compressionLevel: 6 })
    .toBuffer();
}

export function pngDataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

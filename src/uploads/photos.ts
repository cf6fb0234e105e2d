import type Sharp from 'sharp';
import type { AttachmentType } from '../domain/attachments';
import { MAX_PHOTO_PIXELS } from '../domain/attachments';

let lib: typeof Sharp | null = null;
/**
 * sharp (libvips), loaded with the first photo: a process that never receives one does not
 * carry it (issue 15: about 20 MB of resident memory). libvips keeps no operation cache across
 * uploads and works one thread per image: memory stays proportional to the photos in hand,
 * which the pool below bounds.
 */
function sharp(...args: Parameters<typeof Sharp>): ReturnType<typeof Sharp> {
  if (!lib) {
    lib = require('sharp') as typeof Sharp;
    lib.cache(false);
    lib.concurrency(1);
  }
  return lib(...args);
}

/** Photos re-encoded at once in this process (the rest wait): 2, the number of cores here. */
const POOL = 2;
let running = 0;
const waiting: (() => void)[] = [];
async function inPool<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= POOL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The longest side of a preview, in pixels. */
export const PREVIEW_SIZE = 320;
export const PREVIEW_TYPE = 'image/webp';

/**
 * Re-encodes a JPEG, PNG or WebP photo from the file `input` into `output` in the same format,
 * turned upright by its EXIF orientation and with every metadata block dropped (EXIF with the
 * GPS position, XMP, IPTC, ICC, comments: sharp writes none unless asked), and writes a preview
 * of at most {@link PREVIEW_SIZE} px to `preview`. Reads from the file, so the photo is never
 * held whole in memory as bytes; decoded pixels are bounded by {@link MAX_PHOTO_PIXELS}.
 * @throws the image library's error for an unreadable or too large image
 */
export async function reencodePhoto(input: string, output: string, preview: string, type: AttachmentType): Promise<void> {
  await inPool(async () => {
    const options = { limitInputPixels: MAX_PHOTO_PIXELS, failOn: 'error', sequentialRead: true } as const;
    // Turned upright only when the EXIF orientation says so: rotating needs the whole picture
    // decoded at once and costs half the time of a photo that is already upright.
    const { orientation } = await sharp(input, options).metadata();
    const img = sharp(input, options);
    if (orientation && orientation > 1) img.rotate();
    if (type.mime === 'image/jpeg') img.jpeg({ quality: 90 });
    else if (type.mime === 'image/png') img.png({ compressionLevel: 6 });
    else img.webp({ quality: 90 });
    await img.toFile(output);
    await sharp(output, { sequentialRead: true }).resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toFile(preview);
  });
}

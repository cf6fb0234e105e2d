import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Harness } from '../helpers/harness';

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A JPEG photo with camera and GPS tags (Fuling District, 29°42′N 107°23′E). */
export async function gpsJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'TestCam', Model: 'Reporter Phone 1', DateTime: '2026:10:20 09:30:00' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '29/1 42/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '107/1 23/1 0/1' },
    })
    .toBuffer();
}
export const png = () =>
  sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .png()
    .toBuffer();
export const pdf = (pad = 0) => Buffer.concat([Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n'), Buffer.alloc(pad, 0x20), Buffer.from('\ntrailer << /Root 1 0 R >>\n%%EOF\n')]);
export const html = () => Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
export const svg = () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
/** A WAV recording: 0.1 s of silence, 8 kHz mono 16-bit. */
export function wav(): Buffer {
  const data = Buffer.alloc(1600);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const box = (type: string, ...body: Buffer[]) => {
  const b = Buffer.concat(body);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + b.length);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, b]);
};
const full = (type: string, version: number, ...body: Buffer[]) => box(type, Buffer.from([version, 0, 0, 0]), ...body);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
/** The Exif block of the HEIC fixture: a marker string stands for the GPS position. */
export const HEIC_EXIF = Buffer.concat([u32(6), Buffer.from('Exif\0\0MM\0*GPS 29N42 107E23 TestCam')]);
/**
 * A HEIC-structured file (ftyp `heic`, a `meta` box with `iinf` and `iloc`, an `mdat`) holding
 * an image item and an Exif item, as a phone writes them; the image data is a stand-in.
 */
export function heic(): Buffer {
  const image = Buffer.alloc(300, 0xab);
  const ftyp = box('ftyp', Buffer.from('heic'), u32(0), Buffer.from('mif1heic'));
  const infe = (id: number, type: string) => full('infe', 2, u16(id), u16(0), Buffer.from(type, 'latin1'), Buffer.from('\0'));
  const iinf = full('iinf', 0, u16(2), infe(1, 'hvc1'), infe(2, 'Exif'));
  const hdlr = full('hdlr', 0, u32(0), Buffer.from('pict'), Buffer.alloc(12), Buffer.from('\0'));
  const pitm = full('pitm', 0, u16(1));
  const ilocFor = (imageAt: number, exifAt: number) =>
    full('iloc', 0, Buffer.from([0x44, 0x00]), u16(2), u16(1), u16(0), u16(1), u32(imageAt), u32(image.length), u16(2), u16(0), u16(1), u32(exifAt), u32(HEIC_EXIF.length));
  const metaLen = full('meta', 0, hdlr, pitm, ilocFor(0, 0), iinf).length;
  const mdatStart = ftyp.length + metaLen + 8;
  const meta = full('meta', 0, hdlr, pitm, ilocFor(mdatStart, mdatStart + image.length), iinf);
  return Buffer.concat([ftyp, meta, box('mdat', image, HEIC_EXIF)]);
}

/** A form with the given files (name → bytes) as `file` parts, after the given fields. */
export function form(files: [string, Buffer, string?][], fields: Record<string, string> = {}): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const [name, bytes, type] of files) f.append('file', new Blob([bytes], { type: type ?? 'application/octet-stream' }), name);
  return f;
}

/** Every file under the harness's filesystem store (`DATA_DIR/attachments`), as keys. */
export function storedKeys(h: Harness): string[] {
  const root = join(h.deps.config.dataDir, 'attachments');
  const out: string[] = [];
  const walk = (d: string, p: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const full = join(d, n);
      if (statSync(full).isDirectory()) walk(full, `${p}${n}/`);
      else out.push(`${p}${n}`);
    }
  };
  walk(root, '');
  return out.sort();
}

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/**
 * Removes the Exif and XMP metadata of a HEIC/HEIF photo in place, without decoding it: the
 * prebuilt image library has no HEVC decoder, so the photo cannot be re-encoded the way JPEG,
 * PNG and WebP are. HEIF (ISO/IEC 23008-12) keeps metadata as *items* of the `meta` box: the
 * `iinf` box names each item's type (`Exif`, or `mime` with `application/rdf+xml` for XMP) and
 * the `iloc` box says where its bytes are (file offsets, or inside the `idat` box). Those bytes
 * are overwritten with zeros; the file keeps its length and structure, so every other offset
 * stays valid and the picture is untouched.
 * @returns the number of bytes blanked
 * @throws MetadataError when the structure cannot be read or a metadata item cannot be located
 *   (the photo is then refused rather than stored with its GPS position)
 */
export async function blankHeifMetadata(path: string): Promise<number> {
  const fh = await open(path, 'r+');
  try {
    const size = (await fh.stat()).size;
    const meta = (await boxes(fh, 0, size)).find((b) => b.type === 'meta');
    if (!meta) throw new MetadataError('no meta box');
    const children = await boxes(fh, meta.body + 4, meta.end); // FullBox: version and flags first
    const iinf = children.find((b) => b.type === 'iinf');
    const iloc = children.find((b) => b.type === 'iloc');
    const idat = children.find((b) => b.type === 'idat');
    if (!iinf) return 0; // no items, no metadata items
    const metadataIds = await metadataItems(fh, iinf);
    if (!metadataIds.size) return 0;
    if (!iloc) throw new MetadataError('metadata items without locations');
    const extents = await locations(fh, iloc, metadataIds, idat);
    let blanked = 0;
    const zeros = Buffer.alloc(64 * 1024);
    for (const { offset, length } of extents) {
      if (offset + length > size) throw new MetadataError('metadata extent outside the file');
      for (let done = 0; done < length; done += zeros.length) {
        const n = Math.min(zeros.length, length - done);
        await fh.write(zeros, 0, n, offset + done);
      }
      blanked += length;
    }
    return blanked;
  } finally {
    await fh.close();
  }
}

export class MetadataError extends Error {}

interface Box {
  type: string;
  start: number;
  body: number;
  end: number;
}

async function read(fh: FileHandle, pos: number, n: number): Promise<Buffer> {
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, pos);
  if (bytesRead < n) throw new MetadataError('truncated box');
  return b;
}

/** The boxes in [from, to): type and where each body starts and ends. */
async function boxes(fh: FileHandle, from: number, to: number): Promise<Box[]> {
  const out: Box[] = [];
  for (let pos = from; pos + 8 <= to && out.length < 10_000; ) {
    const h = await read(fh, pos, 8);
    let size = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    let body = pos + 8;
    if (size === 1) {
      size = Number((await read(fh, pos + 8, 8)).readBigUInt64BE(0));
      body += 8;
    } else if (size === 0) {
      size = to - pos;
    }
    if (size < body - pos || pos + size > to) throw new MetadataError(`bad size of box ${JSON.stringify(type)}`);
    out.push({ type, start: pos, body, end: pos + size });
    pos += size;
  }
  return out;
}

/** Ids of the Exif and XMP items listed in `iinf`. */
async function metadataItems(fh: FileHandle, iinf: Box): Promise<Set<number>> {
  const head = await read(fh, iinf.body, 4);
  const entriesAt = iinf.body + 4 + (head[0] === 0 ? 2 : 4);
  const ids = new Set<number>();
  for (const infe of (await boxes(fh, entriesAt, iinf.end)).filter((b) => b.type === 'infe')) {
    const b = await read(fh, infe.body, Math.min(infe.end - infe.body, 4096));
    const version = b[0];
    if (version < 2) throw new MetadataError('item info of version < 2 cannot be typed');
    const id = version === 2 ? b.readUInt16BE(4) : b.readUInt32BE(4);
    const typeAt = version === 2 ? 8 : 10;
    const itemType = b.toString('latin1', typeAt, typeAt + 4);
    let p = typeAt + 4;
    const str = () => {
      const e = b.indexOf(0, p);
      const s = b.toString('utf8', p, e < 0 ? b.length : e);
      p = e < 0 ? b.length : e + 1;
      return s;
    };
    str(); // item_name
    const contentType = itemType === 'mime' ? str() : '';
    if (itemType === 'Exif' || (itemType === 'mime' && /xml|xmp/i.test(contentType))) ids.add(id);
  }
  return ids;
}

/** Absolute file extents of the given items, from `iloc` (construction methods 0 and 1). */
async function locations(fh: FileHandle, iloc: Box, ids: Set<number>, idat: Box | undefined): Promise<{ offset: number; length: number }[]> {
  const b = await read(fh, iloc.body, iloc.end - iloc.body);
  const version = b[0];
  let p = 4;
  const offsetSize = b[p] >> 4,
    lengthSize = b[p] & 15,
    baseSize = b[p + 1] >> 4,
    indexSize = version === 1 || version === 2 ? b[p + 1] & 15 : 0;
  p += 2;
  const uint = (n: number) => {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[p + i];
    p += n;
    return v;
  };
  const count = version < 2 ? uint(2) : uint(4);
  const found = new Set<number>();
  const out: { offset: number; length: number }[] = [];
  for (let i = 0; i < count; i++) {
    if (p >= b.length) throw new MetadataError('truncated iloc');
    const id = version < 2 ? uint(2) : uint(4);
    const method = version === 1 || version === 2 ? uint(2) & 15 : 0;
    uint(2); // data_reference_index
    const base = uint(baseSize);
    const extents = uint(2);
    for (let e = 0; e < extents; e++) {
      if (indexSize) uint(indexSize);
      const off = uint(offsetSize);
      const len = uint(lengthSize);
      if (!ids.has(id)) continue;
      if (method === 0) out.push({ offset: base + off, length: len });
      else if (method === 1 && idat) out.push({ offset: idat.body + base + off, length: len });
      else throw new MetadataError(`metadata item stored by construction method ${method}`);
      if (len === 0) throw new MetadataError('metadata extent of unknown length');
    }
    if (ids.has(id)) found.add(id);
  }
  if (found.size !== ids.size) throw new MetadataError('a metadata item has no location');
  return out;
}

import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * Builds XLSX workbooks by hand (a zip written byte by byte), for tests of the upload
 * bounds: a minimal workbook around a given sheet, and a "bomb" whose sheet is `chunks` MiB
 * of rows deflated at about 900:1 (850 chunks: ~0.9 GB of XML in a file under 1 MB).
 */
interface ZipPart {
  name: string;
  data: Buffer;
  crc: number;
  size: number;
  declaredSize?: number;
}

const part = (name: string, text: string): ZipPart => {
  const raw = Buffer.from(text);
  return { name, data: deflateRawSync(raw), crc: crc32(raw), size: raw.length };
};

function zip(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name);
    const size = p.declaredSize ?? p.size;
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4);
    h.writeUInt16LE(0x0800, 6);
    h.writeUInt16LE(8, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt16LE(0x5b21, 12);
    h.writeUInt32LE(p.crc >>> 0, 14);
    h.writeUInt32LE(p.data.length, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(0, 28);
    locals.push(h, name, p.data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt16LE(0, 12);
    c.writeUInt16LE(0x5b21, 14);
    c.writeUInt32LE(p.crc >>> 0, 16);
    c.writeUInt32LE(p.data.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    offset += h.length + name.length + p.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const frame = (sheet: ZipPart, extra: ZipPart[] = []) =>
  zip([
    part(
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    ),
    part(
      '_rels/.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    part(
      'xl/workbook.xml',
      `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ),
    part(
      'xl/_rels/workbook.xml.rels',
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
    ...extra,
    sheet,
  ]);

/** A workbook whose first sheet is `sheetData` (the XML inside `<sheetData>`). */
export function xlsxWithSheet(sheetData: string, sharedStrings?: string): Buffer {
  const extra = sharedStrings === undefined ? [] : [part('xl/sharedStrings.xml', `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${NS}">${sharedStrings}</sst>`)];
  return frame(part('xl/worksheets/sheet1.xml', `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${NS}"><sheetData>${sheetData}</sheetData></worksheet>`), extra);
}

/**
 * A workbook whose sheet inflates to `chunks` MiB (rows of one inline string padded with
 * spaces). Its zip headers tell the true inflated size, or, with `lie`, claim 64 KiB.
 * Each MiB is deflated once and repeated (sync-flushed blocks concatenate), so building
 * it costs milliseconds.
 */
export function xlsxBomb(chunks: number, opts: { lie?: boolean } = {}): Buffer {
  const head = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${NS}"><sheetData>`);
  const row = `<row><c t="inlineStr"><is><t>a</t></is></c></row>${' '.repeat(32000)}`;
  const body = Buffer.from(row.repeat(Math.floor((1024 * 1024) / row.length)));
  const tail = Buffer.from('</sheetData></worksheet>');
  const flush = { level: 9, finishFlush: constants.Z_SYNC_FLUSH };
  const deflatedBody = deflateRawSync(body, flush);
  const data = Buffer.concat([deflateRawSync(head, flush), ...Array(chunks).fill(deflatedBody), deflateRawSync(tail)]);
  let crc = crc32(head);
  for (let i = 0; i < chunks; i++) crc = crc32(body, crc);
  crc = crc32(tail, crc);
  const size = head.length + chunks * body.length + tail.length;
  return frame({ name: 'xl/worksheets/sheet1.xml', data, crc, size, declaredSize: opts.lie ? 65536 : size });
}

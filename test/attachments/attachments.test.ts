import test from 'ava';
import sharp from 'sharp';
import exifReader from 'exif-reader';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';
import { until } from '../notifications/smtp';
import { form, gpsJpeg, heic, HEIC_EXIF, html, pdf, png, sha256, storedKeys, svg, wav } from './fixtures';

type Staff = Awaited<ReturnType<typeof standardStaff>>;
let h: Harness;
let s: Staff & { dis: Client & { id: string } };
let owner: Client & { id: string };
let other: Client & { id: string };
const MAX = 256 * 1024;

test.before(async () => {
  h = await startHarness({ env: { ATTACHMENT_MAX_BYTES: String(MAX), ATTACHMENT_MAX_UPLOADS: '2' } });
  s = { ...(await standardStaff(h)), dis: await h.staff('dis1', 'handler', 'DIS') };
  owner = await h.owner();
  other = await h.owner('13900002222');
});
test.after.always(async () => {
  await h?.close();
});

const complaint = async () => {
  const r = await owner.post('/api/v1/tickets', { kind: 'complaint', channel: 'web', category: 'tax_fees', title: '多收税费', description: '定额税偏高，附收据。' });
  if (r.status !== 201) throw new Error(r.text);
  return r.body as { id: string; number: string };
};
const rows = async (ticketId?: string) => (await h.deps.db.query(`SELECT id FROM ticket_attachment${ticketId ? ' WHERE ticket_id = ?' : ''}`, ticketId ? [ticketId] : [])).length as number;

test.serial('upload and download per role: types by content, EXIF removed, hashes in the chain', async (t) => {
  const c = await complaint();
  const photo = await gpsJpeg();
  // the fixture really carries a GPS position and a camera
  const before = exifReader((await sharp(photo).metadata()).exif!);
  t.deepEqual(before.GPSInfo?.GPSLatitude, [29, 42, 0]);
  t.is(before.Image?.Make, 'TestCam');

  const up = await owner.form(
    `/api/v1/tickets/${c.id}/attachments`,
    form([
      ['门店照片.jpg', photo, 'image/jpeg'],
      ['收据.pdf', await png(), 'application/pdf'],
      ['录音.wav', wav()],
    ]),
  );
  t.is(up.status, 201, up.text);
  t.deepEqual(
    up.body.items.map((a: any) => [a.name, a.type, a.kind, a.preview, a.internal, a.context, a.by]),
    [
      ['门店照片.jpg', 'image/jpeg', 'photo', true, false, 'attach', 'owner'],
      ['收据.png', 'image/png', 'photo', true, false, 'attach', 'owner'], // a PNG named .pdf is stored as what it is
      ['录音.wav', 'audio/wav', 'audio', false, false, 'attach', 'owner'],
    ],
  );
  const [jpg, pngA, wavA] = up.body.items;

  // the stored photo has no metadata at all: no EXIF block, no camera, no position
  const got = await owner.bytes(`/api/v1/tickets/${c.id}/attachments/${jpg.id}`);
  t.is(got.status, 200);
  t.is(got.headers.get('content-type'), 'image/jpeg');
  t.is(got.headers.get('x-content-type-options'), 'nosniff');
  t.is(got.headers.get('content-disposition'), `attachment; filename="____.jpg"; filename*=UTF-8''${encodeURIComponent('门店照片.jpg')}`);
  t.is(got.headers.get('content-security-policy'), "default-src 'none'; sandbox");
  const meta = await sharp(got.bytes).metadata();
  t.is(meta.exif, undefined);
  t.is(meta.xmp, undefined);
  t.false(got.bytes.includes(Buffer.from('TestCam')));
  t.false(got.bytes.includes(Buffer.from('Exif\0\0')));
  t.is(sha256(got.bytes), jpg.sha256);
  t.is(got.bytes.length, jpg.size);
  t.is(got.headers.get('repr-digest'), `sha-256=:${Buffer.from(jpg.sha256, 'hex').toString('base64')}:`);
  // the recording is stored byte for byte
  const w = await owner.bytes(`/api/v1/tickets/${c.id}/attachments/${wavA.id}`);
  t.deepEqual(w.bytes, wav());
  t.is(wavA.sha256, sha256(wav()));
  // previews: small WebP images, inline; none for the recording
  const p = await owner.bytes(`/api/v1/tickets/${c.id}/attachments/${pngA.id}/preview`);
  t.is(p.status, 200);
  t.is(p.headers.get('content-type'), 'image/webp');
  t.regex(p.headers.get('content-disposition')!, /^inline; /);
  t.is((await sharp(p.bytes).metadata()).format, 'webp');
  t.is((await owner.get(`/api/v1/tickets/${c.id}/attachments/${wavA.id}/preview`)).status, 404);

  // the event of the upload carries each file's hash, and the chain holds
  const ev = (await owner.get(`/api/v1/tickets/${c.id}/events`)).body.items.find((e: any) => e.type === 'attached');
  t.deepEqual(
    ev.payload.attachments,
    up.body.items.map((a: any) => ({ id: a.id, sha256: a.sha256, size: a.size, type: a.type })),
  );
  t.true(up.body.items.every((a: any) => a.eventId === ev.id));
  t.deepEqual((await owner.get(`/api/v1/tickets/${c.id}/events/verify`)).body, { ok: true, checked: 3 });

  // the department's working material is internal: staff see it, the owner does not
  const dept = await s.tax.form(`/api/v1/tickets/${c.id}/attachments`, form([['核查记录.pdf', pdf()]]));
  t.is(dept.status, 201, dept.text);
  t.true(dept.body.items[0].internal);
  const visible = async (cl: Client) => {
    const r = await cl.get(`/api/v1/tickets/${c.id}/attachments`);
    return r.status === 200 ? r.body.items.map((a: any) => a.name) : r.status;
  };
  const all = ['门店照片.jpg', '收据.png', '录音.wav', '核查记录.pdf'];
  t.deepEqual(await visible(owner), all.slice(0, 3));
  t.deepEqual(await visible(s.tax), all);
  t.deepEqual(await visible(s.coord), all);
  t.deepEqual(await visible(s.intake), all);
  t.deepEqual(await visible(s.sup), all);
  t.deepEqual(await visible(h.admin), all);
  t.is(await visible(s.hrss), 404);
  t.is(await visible(other), 404);
  t.is(await visible(h.http), 401);
  const internalId = dept.body.items[0].id;
  t.is((await owner.get(`/api/v1/tickets/${c.id}/attachments/${internalId}`)).status, 404);
  t.is((await s.hrss.get(`/api/v1/tickets/${c.id}/attachments/${jpg.id}`)).status, 404);
  t.is((await s.coord.bytes(`/api/v1/tickets/${c.id}/attachments/${internalId}`)).status, 200);
  // an attachment is read only through its own ticket
  const c2 = await complaint();
  t.is((await owner.get(`/api/v1/tickets/${c2.id}/attachments/${jpg.id}`)).status, 404);
  // who may not attach: another department (404), the admin (403)
  t.is((await s.hrss.form(`/api/v1/tickets/${c.id}/attachments`, form([['a.pdf', pdf()]]))).status, 404);
  const adm = await h.admin.form(`/api/v1/tickets/${c.id}/attachments`, form([['a.pdf', pdf()]]));
  t.deepEqual([adm.status, adm.body.code], [403, 'forbidden']);
  t.is(await rows(c.id), 4);
});

test.serial('integrity-report evidence: supervisors only, each download an attachment_read event; the accused see no trace', async (t) => {
  const r = await owner.post('/api/v1/tickets', {
    kind: 'integrity_report',
    channel: 'web',
    title: '窗口索要材料费',
    description: '要求另交 300 元材料费。',
    accused: { departmentCode: 'SAMR', demand: 'fee', amountYuan: '300', occurredOn: '2026-10-20' },
  });
  t.is(r.status, 201);
  const id = r.body.id;
  const up = await owner.form(`/api/v1/tickets/${id}/attachments`, form([['张三的收据.jpg', await gpsJpeg()]]));
  t.is(up.status, 201, up.text);
  const a = up.body.items[0];
  t.is(a.name, '张三的收据.jpg'); // the reporter sees their own names
  const events = async () => (await s.sup.get(`/api/v1/tickets/${id}/events`)).body.items.filter((e: any) => e.type === 'attachment_read');

  // supervisors: a neutral name in the list (a name can name the reporter); the download is recorded first
  const list = await s.sup.get(`/api/v1/tickets/${id}/attachments`);
  t.deepEqual(
    list.body.items.map((x: any) => [x.name, x.sha256]),
    [['attachment-1.jpg', a.sha256]],
  );
  t.is((await events()).length, 0);
  const d = await s.sup.bytes(`/api/v1/tickets/${id}/attachments/${a.id}`);
  t.is(d.status, 200);
  t.is(sha256(d.bytes), a.sha256);
  t.regex(d.headers.get('content-disposition')!, /filename\*=UTF-8''%E5%BC%A0/);
  await s.sup.bytes(`/api/v1/tickets/${id}/attachments/${a.id}/preview`);
  const reads = await events();
  t.deepEqual(
    reads.map((e: any) => [e.actor?.role ?? e.actorRole, e.payload]),
    [
      ['supervisor', { attachmentId: a.id, sha256: a.sha256, part: 'file' }],
      ['supervisor', { attachmentId: a.id, sha256: a.sha256, part: 'preview' }],
    ],
  );

  // staff who see the report but not its evidence: the DIS handler, the admin — an empty list, 404 on the file
  for (const cl of [s.dis, h.admin]) {
    t.deepEqual((await cl.get(`/api/v1/tickets/${id}/attachments`)).body.items, []);
    t.is((await cl.get(`/api/v1/tickets/${id}/attachments/${a.id}`)).status, 404);
  }
  // the accused department (SAMR: its coordinator, intake and handler) and departments not concerned: 404 everywhere
  for (const cl of [s.coord, s.intake, s.samr, s.tax]) {
    t.is((await cl.get(`/api/v1/tickets/${id}/attachments`)).status, 404);
    t.is((await cl.get(`/api/v1/tickets/${id}/attachments/${a.id}`)).status, 404);
    t.is((await cl.get(`/api/v1/tickets/${id}/attachments/${a.id}/preview`)).status, 404);
    const lists = await cl.get('/api/v1/tickets?limit=200');
    t.false(lists.text.includes(id));
    t.false(lists.text.includes(a.id));
    t.is((await cl.form(`/api/v1/tickets/${id}/attachments`, form([['x.pdf', pdf()]]))).status, 404);
  }
  // the reporter's own download is not an audited read
  t.is((await owner.bytes(`/api/v1/tickets/${id}/attachments/${a.id}`)).status, 200);
  t.is((await events()).length, 2);
  t.true((await s.sup.get(`/api/v1/tickets/${id}/events/verify`)).body.ok);
});

test.serial('refused files: HTML named .jpg, SVG (415 naming the file), oversize, too many, over the request bound — nothing stored', async (t) => {
  const c = await complaint();
  const keys = storedKeys(h);
  const n = await rows();
  const bad = async (f: FormData, status: number, code: string) => {
    const r = await owner.form(`/api/v1/tickets/${c.id}/attachments`, f);
    t.deepEqual([r.status, r.body?.code], [status, code], r.text);
    return r;
  };
  const h1 = await bad(
    form([
      ['ok.pdf', pdf()],
      ['照片.jpg', html(), 'image/jpeg'],
    ]),
    415,
    'unsupported-media-type',
  );
  t.regex(h1.body.detail, /^照片\.jpg: /);
  t.deepEqual(h1.body.errors[0].field, 'file');
  t.is(h1.body.file, '照片.jpg');
  await bad(form([['logo.svg', svg(), 'image/svg+xml']]), 415, 'unsupported-media-type');
  const big = await bad(
    form([
      ['ok.pdf', pdf()],
      ['大文件.pdf', pdf(MAX)],
    ]),
    413,
    'file-too-large',
  );
  t.is(big.body.file, '大文件.pdf');
  t.is(big.body.maxBytes, MAX);
  // far past the limit (the limit stops the part's stream): the same 413, not a malformed body
  const huge = await bad(form([['巨大.pdf', pdf(MAX * 4)]]), 413, 'file-too-large');
  t.is(huge.body.file, '巨大.pdf');
  await bad(form(Array.from({ length: 7 }, (_, i) => [`p${i}.pdf`, pdf()] as [string, Buffer])), 413, 'too-many-files');
  await bad(form([['empty.pdf', Buffer.alloc(0)]]), 422, 'empty-file');
  await bad(form([['x.pdf', pdf()]], { note: 'x' }), 400, 'unexpected-part');
  // exactly the limit passes
  const edge = await owner.form(`/api/v1/tickets/${c.id}/attachments`, form([['edge.pdf', Buffer.concat([pdf(MAX - pdf().length)])]]));
  t.is(edge.status, 201, edge.text);
  t.is(edge.body.items[0].size, MAX);
  t.is(await rows(), n + 1);
  t.deepEqual(
    storedKeys(h).filter((k) => !keys.includes(k)),
    [`files/${edge.body.items[0].id.slice(0, 2)}/${edge.body.items[0].id}`],
  );
  t.false(storedKeys(h).some((k) => k.startsWith('staging/')));
});

test.serial('HEIC: the Exif item is blanked in place, the picture untouched', async (t) => {
  const c = await complaint();
  const file = heic();
  t.true(file.includes(HEIC_EXIF));
  const up = await owner.form(`/api/v1/tickets/${c.id}/attachments`, form([['IMG_0001.HEIC', file]]));
  t.is(up.status, 201, up.text);
  t.deepEqual([up.body.items[0].type, up.body.items[0].name, up.body.items[0].preview, up.body.items[0].size], ['image/heic', 'IMG_0001.heic', false, file.length]);
  const got = (await owner.bytes(`/api/v1/tickets/${c.id}/attachments/${up.body.items[0].id}`)).bytes;
  t.false(got.includes(Buffer.from('GPS 29N42')));
  t.false(got.includes(HEIC_EXIF.subarray(4)));
  t.deepEqual(got.subarray(file.indexOf(HEIC_EXIF) - 300, file.indexOf(HEIC_EXIF)), Buffer.alloc(300, 0xab)); // image data kept
  t.deepEqual(got.subarray(file.indexOf(HEIC_EXIF), file.indexOf(HEIC_EXIF) + HEIC_EXIF.length), Buffer.alloc(HEIC_EXIF.length));
  t.is(up.body.items[0].sha256, sha256(got));
});

test.serial('a request declared larger than the bound is refused before it is read (413, connection closed)', async (t) => {
  const c = await complaint();
  const { request } = await import('node:http');
  const url = new URL(`${(h.http as any).base}/api/v1/tickets/${c.id}/attachments`);
  const limit = h.deps.config.attachments.maxRequestBytes;
  const res = await new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${(owner as any).token}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(limit + 1) } },
      (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode!, body, connection: r.headers.connection }));
      },
    );
    req.on('error', reject);
    req.write('--x\r\n');
  });
  t.is(res.status, 413);
  t.is(JSON.parse(res.body).code, 'request-too-large');
  t.is(res.connection, 'close');
  t.is(await rows(c.id), 0);
});

test.serial('a body cut off inside a file part is 400 malformed-multipart, with or without sign-in; nothing stored, the service goes on', async (t) => {
  const c = await complaint();
  const { request } = await import('node:http');
  /** Sends `fields`, then a file part whose body ends before its closing boundary. */
  const cutOff = (path: string, fields: Record<string, string>, token?: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const parts = Object.entries(fields)
        .map(([k, v]) => `--XX\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('');
      const body = Buffer.from(`${parts}--XX\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 trunc`);
      const req = request(
        new URL(`${(h.http as any).base}${path}`),
        {
          method: 'POST',
          headers: { 'content-type': 'multipart/form-data; boundary=XX', 'content-length': String(body.length), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (r) => {
          let text = '';
          r.on('data', (d) => (text += d));
          r.on('end', () => resolve({ status: r.statusCode!, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const before = await rows();
  const tickets = (await h.deps.db.query('SELECT COUNT(*) AS n FROM ticket'))[0].n;
  // without sign-in: a web complaint whose payload is valid, so that the file part is read
  const payload = JSON.stringify({ kind: 'complaint', channel: 'web', category: 'tax_fees', title: '门前施工', description: '围挡影响经营。', owner: { name: '王五', phone: '13800005555' } });
  let r = await cutOff('/api/v1/tickets', { payload });
  t.deepEqual([r.status, r.body.code], [400, 'malformed-multipart']);
  // without sign-in, the fields refused before the file (no code): still an answer, no crash
  r = await cutOff(`/api/v1/track/${c.number}/attachments`, {});
  t.is(r.status, 400);
  // signed in, on the owner's own ticket
  r = await cutOff(`/api/v1/tickets/${c.id}/attachments`, {}, (owner as any).token);
  t.deepEqual([r.status, r.body.code], [400, 'malformed-multipart']);
  t.is(await rows(), before);
  t.is((await h.deps.db.query('SELECT COUNT(*) AS n FROM ticket'))[0].n, tickets, 'no ticket from the cut-off create');
  t.is((await owner.get(`/api/v1/tickets/${c.id}`)).status, 200, 'the service still answers');
});

test.serial('clients that go away in the middle of a file do not keep the upload slots (ATTACHMENT_MAX_UPLOADS=2): the next upload is stored', async (t) => {
  const c = await complaint();
  const { connect } = await import('node:net');
  const url = new URL((h.http as any).base);
  const part = Buffer.concat([Buffer.from('------X\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n'), pdf(100 * 1024)]);
  const n = await rows();
  // three clients declare more than they send, send part of one file and half-close
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(
          `POST /api/v1/tickets/${c.id}/attachments HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${(owner as any).token}\r\nContent-Type: multipart/form-data; boundary=----X\r\nContent-Length: ${part.length + 100_000}\r\n\r\n`,
        );
        sock.end(part);
      });
      sock.on('data', () => undefined);
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
    });
  }
  let next: any;
  await until(
    async () => {
      next = await owner.form(`/api/v1/tickets/${c.id}/attachments`, form([['收据.pdf', pdf()]]));
      return next.status === 201;
    },
    10_000,
    'an upload accepted after the cut-off ones',
  );
  t.is(next.body.items.length, 1);
  t.is(await rows(), n + 1, 'only the complete upload is stored');
  t.false(storedKeys(h).some((k) => k.startsWith('staging/')));
});

test.serial('a photo taken sideways is stored upright, without its orientation tag', async (t) => {
  const c = await complaint();
  const sideways = await sharp({ create: { width: 60, height: 20, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  t.is((await sharp(sideways).metadata()).orientation, 6);
  const up = await owner.form(`/api/v1/tickets/${c.id}/attachments`, form([['竖拍.jpg', sideways]]));
  const got = await owner.bytes(`/api/v1/tickets/${c.id}/attachments/${up.body.items[0].id}`);
  const m = await sharp(got.bytes).metadata();
  t.deepEqual([m.width, m.height, m.orientation, m.exif], [20, 60, undefined, undefined]);
});

import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startHarness, standardStaff, Harness, Client } from '../helpers/harness';
import { form, gpsJpeg, pdf, sha256 } from './fixtures';
import { fsBlobStore } from '../../src/storage/fs-store';
import { s3BlobStore } from '../../src/storage/s3-store';
import { parseS3Url } from '../../src/storage/s3-url';
import type { BlobStore } from '../../src/storage';
import { sweepOnce, SWEEP_TASKS } from '../../src/jobs/sweep';
import { stageFile } from '../../src/uploads/stage';

// A local S3-compatible server (s3rver) on an ephemeral loopback port, its data in a temp folder.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');
const dir = mkdtempSync(join(tmpdir(), 'grievance-s3-'));
let server: { run(): Promise<{ port: number }>; close(): Promise<void> };
let url: string;
let h: Harness;
let s: Awaited<ReturnType<typeof standardStaff>>;
let owner: Client & { id: string };

test.before(async () => {
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'evidence' }] });
  const { port } = await server.run();
  url = `s3://S3RVER:S3RVER@evidence/grievance?endpoint=http://127.0.0.1:${port}`;
  h = await startHarness({ env: { STORAGE_URL: url } });
  s = await standardStaff(h);
  owner = await h.owner();
});
test.after.always(async () => {
  await h?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function keys(store: BlobStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}
const read = async (store: BlobStore, key: string) => {
  const o = await store.open(key);
  if (!o) return null;
  const chunks: Buffer[] = [];
  for await (const c of o.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

test('STORAGE_URL parsing', (t) => {
  t.deepEqual(parseS3Url('s3://ak:sk%2F1@evidence/a/b/?endpoint=http://127.0.0.1:9000&region=cn-southwest-2'), {
    bucket: 'evidence',
    prefix: 'a/b/',
    endpoint: 'http://127.0.0.1:9000',
    region: 'cn-southwest-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'ak', secretAccessKey: 'sk/1' },
  });
  t.deepEqual(parseS3Url('s3://evidence?forcePathStyle=false'), { bucket: 'evidence', prefix: '', endpoint: undefined, region: 'us-east-1', forcePathStyle: false, credentials: undefined });
  t.throws(() => parseS3Url('s3://EV'), { message: /bucket/ });
  t.throws(() => parseS3Url('s3://evidence?endpoint=ftp://x'), { message: /endpoint/ });
});

// The same contract for both drivers.
for (const kind of ['fs', 's3'] as const) {
  test.serial(`${kind} driver: put, move (idempotent), open, list, delete`, async (t) => {
    const store = kind === 'fs' ? fsBlobStore(join(dir, 'fs')) : s3BlobStore(parseS3Url(url.replace('/grievance', '/contract')));
    const local = join(dir, `${kind}.tmp`);
    writeFileSync(local, 'evidence bytes');
    await store.putFile('staging/a', local, 14, 'application/pdf');
    t.deepEqual(await keys(store, 'staging/'), ['staging/a']);
    await store.move('staging/a', 'files/a/a');
    await store.move('staging/a', 'files/a/a'); // again: already moved
    await t.throwsAsync(store.move('staging/none', 'files/no/none'));
    t.is((await read(store, 'files/a/a'))?.toString(), 'evidence bytes');
    t.is((await store.open('files/a/a'))?.size, 14);
    t.is(await store.open('staging/a'), null);
    t.deepEqual(await keys(store), ['files/a/a']);
    await store.delete('files/a/a');
    await store.delete('files/a/a');
    t.deepEqual(await keys(store), []);
    await t.throwsAsync(store.putFile('../escape', local, 14, 'x'), { message: /invalid storage key/ });
    await store.close();
  });
}

test.serial('S3: upload, download, a rolled-back action and the orphan sweep', async (t) => {
  const store = h.deps.storage;
  t.is(store.kind, 's3');
  const c = await owner.form(
    '/api/v1/tickets',
    form([['收据.jpg', await gpsJpeg()]], { payload: JSON.stringify({ kind: 'complaint', channel: 'web', category: 'tax_fees', title: '多收费', description: '附收据' }) }),
  );
  t.is(c.status, 201, c.text);
  const a = c.body.attachments[0];
  t.deepEqual(await keys(store), [`files/${a.id.slice(0, 2)}/${a.id}`, `files/${a.id.slice(0, 2)}/${a.id}.preview`]);
  const got = await owner.bytes(`/api/v1/tickets/${c.body.id}/attachments/${a.id}`);
  t.is(got.status, 200);
  t.is(sha256(got.bytes), a.sha256);
  t.is((await s.tax.bytes(`/api/v1/tickets/${c.body.id}/attachments/${a.id}/preview`)).headers.get('content-type'), 'image/webp');

  await s.tax.post(`/api/v1/tickets/${c.body.id}/sign`);
  const stale = await s.tax.form(`/api/v1/tickets/${c.body.id}/reply`, form([['答复.pdf', pdf()]], { payload: JSON.stringify({ outcome: 'resolved', message: '已处理' }) }), { 'if-match': '"1"' });
  t.is(stale.status, 412);
  t.deepEqual(await keys(store, 'staging/'), []);

  const orphan = await stageFile(h.deps.uploads, { name: 'lost.pdf', stream: Readable.from([pdf()]) });
  t.deepEqual(await keys(store, 'staging/'), [`staging/${orphan.id}`]);
  await sweepOnce(h.deps.db, new Date(Date.now() + 2 * 3600_000), async () => true, { tasks: SWEEP_TASKS, env: { storage: store } });
  t.deepEqual(await keys(store, 'staging/'), []);
  t.is((await keys(store)).length, 2);
});

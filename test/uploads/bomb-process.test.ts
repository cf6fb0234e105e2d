import test from 'ava';
import { startServiceProcess, ServiceProcess } from '../helpers/service-process';
import { xlsxBomb } from '../helpers/xlsx-bomb';

// issue 13 item 3: six concurrent XLSX files that inflate to ~0.9 GB each, against the real
// service process (ROLE=all: API and workers in it), whose memory is read from /proc.
let svc: ServiceProcess;
test.before(async () => {
  svc = await startServiceProcess({ ROLE: 'all' });
});
test.after.always(async () => {
  await svc?.stop();
});

const FIELDS = { title: '2026年度名特优新个体工商户认定结果公示', publishedOn: '2026-11-02' };

async function upload(token: string, data: Buffer) {
  const form = new FormData();
  for (const [k, v] of Object.entries(FIELDS)) form.append(k, v);
  form.append('file', new Blob([data]), 'notice.xlsx');
  const r = await fetch(`${svc.base}/api/v1/result-notices/import`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: r.status, body: (await r.json()) as { code: string; errors?: { field: string; code: string }[] } };
}

test('six concurrent zip bombs: all 413, the process alive, RSS under 400 MB, imports still work', async (t) => {
  const made = await svc.admin.post('/api/v1/users', { username: 'coord1', password: 'Pw-coord1-123!', name: 'coord1', role: 'coordinator', departmentCode: 'SAMR' });
  t.is(made.status, 201);
  const token = (await svc.http.post('/api/v1/auth/login', { username: 'coord1', password: 'Pw-coord1-123!' })).body.token as string;
  // three whose zip headers tell the truth (refused from the central directory), three that
  // claim 64 KiB (refused while inflating, when the stream passes what it declared)
  const honest = xlsxBomb(850);
  const lying = xlsxBomb(850, { lie: true });
  t.true(honest.length < 1024 * 1024, `${honest.length} bytes: under the 1 MB upload limit`);
  const before = svc.rss();
  let peak = before;
  const sampler = setInterval(() => {
    if (svc.alive()) peak = Math.max(peak, svc.rss());
  }, 10);
  let results: Awaited<ReturnType<typeof upload>>[];
  try {
    results = await Promise.all([honest, lying, honest, lying, honest, lying].map((f) => upload(token, f)));
  } finally {
    clearInterval(sampler);
  }
  t.true(svc.alive(), svc.stderr());
  t.deepEqual(
    results.map((r) => [r.status, r.body.code, r.body.errors?.[0].code]),
    Array(6).fill([413, 'file-too-large', 'inflated_too_large']),
  );
  t.true(peak < 400 * 1024 * 1024, `peak RSS ${Math.round(peak / 1048576)} MB (before: ${Math.round(before / 1048576)} MB)`);
  t.log(`RSS before ${Math.round(before / 1048576)} MB, peak ${Math.round(peak / 1048576)} MB`);
  t.is((await fetch(`${svc.base}/healthz`)).status, 200);
  const csv = Buffer.from('credit_code,business_name,category\n92500102EUHUXQEEG7,涪陵区江东01号榨菜加工坊,famous\n');
  const form = new FormData();
  for (const [k, v] of Object.entries(FIELDS)) form.append(k, v);
  form.append('file', new Blob([csv]), 'notice.csv');
  const ok = await fetch(`${svc.base}/api/v1/result-notices/import`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  t.is(ok.status, 201);
});

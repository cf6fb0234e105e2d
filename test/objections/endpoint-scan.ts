import type { Client, Harness } from '../helpers/harness';

/** Values substituted for path parameters and filled into query parameters. */
export interface ScanValues {
  /** every `{id}` is tried with each of these */
  id: string[];
  /** every `{number}` (ticket number) */
  number: string[];
  /** every `{code}` (department code) */
  code: string[];
}

export interface ScanHit {
  method: string;
  url: string;
  status: number;
  text: string;
}

const QUERY_VALUES: Record<string, string[]> = {
  year: ['2026', '2025'],
  from: ['2025-01-01T00:00:00+08:00'],
  to: ['2027-01-01T00:00:00+08:00'],
  start: ['2026-10-01T00:00:00+08:00'],
  workingDays: ['5'],
  code: ['WRONGCODE1'],
  format: ['json', 'csv'],
  limit: ['200'],
  kind: ['integrity_report', 'objection'],
};

function combos(path: string, v: ScanValues): string[] {
  let out = [path];
  for (const m of path.match(/\{(\w+)\}/g) ?? []) {
    const name = m.slice(1, -1);
    const values = name === 'id' ? v.id : name === 'number' ? v.number : name === 'code' ? v.code : name === 'year' ? ['2026'] : name === 'date' ? ['2026-10-01'] : ['x'];
    out = out.flatMap((p) => values.map((x) => p.replace(m, encodeURIComponent(x))));
  }
  return out;
}

/**
 * Calls every GET endpoint of the OpenAPI document (and, when `posts` says so, POST ones
 * with an empty body) as `client`, with path parameters from `values` and query parameters
 * filled in (required ones always; `q` with each ticket number and a few filters as
 * variants). Returns every response, to be searched for what must not be there. Because it
 * reads the document, endpoints added later are scanned too.
 */
export async function scanEndpoints(h: Harness, client: Client, values: ScanValues, posts: (path: string) => boolean = () => false): Promise<ScanHit[]> {
  const doc = (await h.http.get('/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean }[] }>> };
  const hits: ScanHit[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    if (path.includes('/test/')) continue;
    for (const method of ['get', 'post'] as const) {
      const op = ops[method];
      if (!op || (method === 'post' && !posts(path))) continue;
      const qp = (op.parameters ?? []).filter((p) => p.in === 'query');
      const required = qp.filter((p) => p.required).map((p) => p.name);
      const base: Record<string, string> = {};
      for (const name of required) base[name] = QUERY_VALUES[name]?.[0] ?? 'x';
      const variants: Record<string, string>[] = [base];
      for (const p of qp) {
        if (p.name === 'q') for (const n of values.number) variants.push({ ...base, q: n });
        else for (const x of QUERY_VALUES[p.name] ?? []) variants.push({ ...base, [p.name]: x });
      }
      for (const url of combos(path, values)) {
        for (const q of variants) {
          const qs = new URLSearchParams(q).toString();
          const full = qs ? `${url}?${qs}` : url;
          const r = method === 'get' ? await client.get(full) : await client.post(full, {});
          // A problem's `instance` echoes the request path: what the caller sent is no leak.
          hits.push({ method, url: full, status: r.status, text: r.text.split(JSON.stringify(url).slice(1, -1)).join('') });
        }
      }
    }
  }
  return hits;
}

/** The hits whose body contains any of `needles`. */
export function leaks(hits: ScanHit[], needles: string[]): string[] {
  return hits.flatMap((x) => needles.filter((n) => n && x.text.includes(n)).map((n) => `${x.method.toUpperCase()} ${x.url} → ${x.status} contains ${JSON.stringify(n)}`));
}

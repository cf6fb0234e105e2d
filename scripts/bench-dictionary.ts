/**
 * `npm run bench:dictionary` (issue 15 item 5; docs/decisions/memory.md): what a smaller
 * segmenter dictionary would save and what it would cost the search. For jieba's default
 * dictionary (`@node-rs/jieba/dict.txt`, 349,045 words) and copies of it keeping only the
 * words above a frequency, each in its own node process:
 *
 *   - the RSS jieba's tables take (the process's RSS before and after the segmenter's first
 *     use, after a full collection; three processes, min–max), and the time to build them;
 *   - the tokens per ticket of the sample tickets (seed/sample-hotline.csv), through the
 *     service's own `ticketSearchTokens` with that dictionary;
 *   - recall and precision on those tickets, for queries made of every word (2+ Han
 *     characters) of the full dictionary's cut of their texts: a ticket is relevant when its
 *     text contains the query, found when it has every query word as a token;
 *   - the phone numbers and credit codes found, and the words of the search tests and the
 *     mixed benchmark whose query words differ from the full dictionary's.
 *
 * Options: BENCH_DICT_MIN_FREQ=`3,10,50` (keep the words of frequency above each). The
 * dictionaries are written under var/bench-dict/. Prints figures; asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { parse } from 'csv-parse/sync';
import { say } from './bench-common';

const ROOT = resolve(__dirname, '..', '..');
const FULL = require.resolve('@node-rs/jieba/dict.txt');
/** Words whose cut must not change: the search tests' examples and the mixed benchmark's queries. */
const WORDS = ['餐馆乱收费', '乱收费', '营业执照', '太慢', '路灯', '噪音', '扰民', '违规', '收费', '索要', '财物', '围挡', '施工', '经营', '占道', '门店', '面馆', '小面馆', '收款码', '许可证'];

const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;

function child(dictPath: string): void {
  // the service reads the dictionary with readFileSync(require.resolve('@node-rs/jieba/dict.txt')): point that read here
  const fs = require('node:fs') as { readFileSync: typeof readFileSync };
  const read = fs.readFileSync;
  fs.readFileSync = ((p: string, o?: unknown) => read(p === FULL ? dictPath : p, o as never)) as typeof readFileSync;
  const search = require('../src/domain/search') as typeof import('../src/domain/search');
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = rssMiB();
  const t0 = performance.now();
  search.indexTokens('营业执照办理太慢了');
  const buildMs = performance.now() - t0;
  gc?.();
  const jiebaMiB = rssMiB() - before;
  const rows = parse(read(join(ROOT, 'seed', 'sample-hotline.csv')), { columns: true }) as Record<string, string>[];
  const texts = rows.map((r) => `${r.title}\n${r.description}`);
  const tokens = rows.map(
    (r) =>
      new Set(
        search.ticketSearchTokens({
          kind: 'complaint',
          number: 'FL2026000001',
          title: r.title,
          description: r.description,
          contact: { phone: r.owner_phone, creditCode: r.credit_code },
          subjectCreditCode: null,
        }),
      ),
  );
  const queries = JSON.parse(process.env.BENCH_DICT_QUERIES ?? '[]') as string[];
  let relevant = 0;
  let found = 0;
  let hit = 0;
  for (const q of queries) {
    const ws = search.queryWords(q);
    texts.forEach((text, i) => {
      const rel = text.includes(q);
      const f = ws.length > 0 && ws.every((w) => tokens[i].has(w));
      relevant += rel ? 1 : 0;
      found += f ? 1 : 0;
      hit += rel && f ? 1 : 0;
    });
  }
  let values = 0;
  rows.forEach((r, i) => {
    for (const v of [r.owner_phone, r.credit_code]) if (search.queryWords(v).every((w) => tokens[i].has(w))) values++;
  });
  const words = Object.fromEntries(WORDS.map((w) => [w, search.queryWords(w).join(' ')]));
  process.stdout.write(JSON.stringify({ jiebaMiB, buildMs, tokensPerTicket: tokens.reduce((a, t) => a + t.size, 0) / tokens.length, relevant, found, hit, values, valuesOf: rows.length * 2, words }));
}

function main(): void {
  const [l1, l5] = loadavg();
  say(`bench:dictionary — node ${process.version}; load average ${l1.toFixed(2)} ${l5.toFixed(2)}`);
  const lines = readFileSync(FULL, 'utf8').split('\n').filter(Boolean);
  const dir = join(ROOT, 'var', 'bench-dict');
  mkdirSync(dir, { recursive: true });
  const variants: { label: string; path: string; words: number }[] = [{ label: 'full (the package’s dict.txt)', path: FULL, words: lines.length }];
  for (const min of (process.env.BENCH_DICT_MIN_FREQ ?? '3,10,50').split(',').map(Number)) {
    const kept = lines.filter((l) => Number(l.split(' ')[1]) > min);
    const path = join(dir, `freq-above-${min}.txt`);
    writeFileSync(path, `${kept.join('\n')}\n`);
    variants.push({ label: `frequency > ${min}`, path, words: kept.length });
  }
  // the queries: every word of 2+ Han characters in the full dictionary's cut of the sample texts
  const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
  const full = Jieba.withDict(readFileSync(FULL));
  const rows = parse(readFileSync(join(ROOT, 'seed', 'sample-hotline.csv')), { columns: true }) as Record<string, string>[];
  const queries = new Set<string>(WORDS);
  for (const r of rows) for (const m of `${r.title}\n${r.description}`.matchAll(/\p{Script=Han}+/gu)) for (const w of full.cut(m[0], false)) if (Array.from(w).length >= 2) queries.add(w);
  say(`${rows.length} sample tickets, ${queries.size} queries`);
  let reference: Record<string, string> | null = null;
  for (const v of variants) {
    // three processes each: jieba's RSS varies by a few MiB between runs (its allocator's huge pages)
    const runs = Array.from({ length: 3 }, () => {
      const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', v.path], { env: { ...process.env, BENCH_DICT_QUERIES: JSON.stringify([...queries]) }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child for ${v.label}: ${r.stderr}`);
      return JSON.parse(r.stdout) as {
        jiebaMiB: number;
        buildMs: number;
        tokensPerTicket: number;
        relevant: number;
        found: number;
        hit: number;
        values: number;
        valuesOf: number;
        words: Record<string, string>;
      };
    });
    const f = runs[0];
    const mib = runs.map((x) => x.jiebaMiB);
    reference ??= f.words;
    const changed = WORDS.filter((w) => f.words[w] !== reference?.[w]).map((w) => `${w} → ${f.words[w]}`);
    say(
      `${v.label}: ${v.words} words; jieba +${Math.min(...mib).toFixed(1)}–${Math.max(...mib).toFixed(1)} MiB RSS, built in ${Math.min(...runs.map((x) => x.buildMs)).toFixed(0)} ms; ${f.tokensPerTicket.toFixed(1)} tokens per ticket; recall ${f.hit}/${f.relevant}, precision ${f.hit}/${f.found}; phones and credit codes found ${f.values}/${f.valuesOf}; words cut otherwise: ${changed.length ? changed.join(', ') : 'none'}`,
    );
  }
}

if (process.argv[2] === '--child') child(process.argv[3]);
else main();

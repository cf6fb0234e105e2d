/**
 * The realistic loader of `npm run bench:scale` (issue 15 item 1): writes N tickets with their
 * whole lives as the service would have written them — the ticket row with its contact, the
 * event chain (hashed by the project's own `eventHash` under the database's current chain key,
 * so `GET /tickets/:id/events/verify` says ok), messages, returns, extensions, pauses,
 * escalations, oversight orders, integrity reports with their findings and vetoes, and outbox
 * rows — spread over `years` years before `now` and over every active department (weighted:
 * SAMR 25 %, TAX 20 %, HRSS 10 %, the others evenly), in bulk
 * multi-row INSERTs inside large transactions (not the API). Deterministic for a seed.
 *
 * The same function serves the benchmark (1,000,000 on MariaDB) and a test (a few hundred on
 * SQLite and MariaDB): it goes through TypeORM's metadata and driver for column names and
 * value conversion, so both backends read back what the service itself would have written.
 *
 * What is simplified, knowingly: ids are UUID-shaped but ascending in loading order (the
 * clustered indexes append instead of splitting pages; the service uses random UUIDs); outbox
 * bodies are short texts, not the rendered templates (which are ~3 KB each); deadlines use the
 * real calendar (`addWorkingDays`) but ignore hour-based urgent policies (urgent tickets get
 * the normal working-day clock); no objections, merges, symposiums or attachments.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import {
  Department,
  Escalation,
  OutboxMessage,
  OversightOrder,
  ReportFigure,
  Ticket,
  TicketCounter,
  TicketEvent,
  TicketExtension,
  TicketFigure,
  TicketMessage,
  TicketPause,
  TicketReturn,
  TicketSearchToken,
  Veto,
  VetoCause,
  VetoHistory,
} from '../src/entities';
import { ChainKey, eventHash, GENESIS_HASH } from '../src/commands/events';
import { eventChainKeys } from '../src/chain-keys';
import { addWorkingDays, localDate } from '../src/domain/deadline';
import { dueSoonInstant } from '../src/domain/schedule';
import type { WorkCalendar } from '../src/domain/calendar';
import type { Rating, TicketKind, TicketState } from '../src/domain/lifecycle';
import { isMysql } from '../src/db';
import { ticketSearchTokens } from '../src/domain/search';
import { Bucket, bucketId, FIGURE_COUNTS, mergeDeltas, ticketBuckets } from '../src/domain/figures';
import { METRIC_EVENT_TYPES, MetricEvent, MetricPause, MetricTicket } from '../src/domain/metrics';
import { DerivedInput, TableRows, TableText, WorkerInit } from './scale-load-text';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Who acts in the loaded lives: real accounts when the caller has them, else fixed ids. */
export interface ScaleActors {
  coordinator: string;
  intake: string;
  supervisor: string;
  /** a handler of each department, by code (missing ones get a fixed id) */
  handlers: Record<string, string>;
}

export interface ScaleLoadOptions {
  tickets: number;
  /** the instant the loaded history ends at (open tickets are open as of it) */
  now: Date;
  cal: WorkCalendar;
  tz: string;
  /** history length in years (default 3) */
  years?: number;
  /** share of open tickets (default 0.10) */
  openShare?: number;
  /** tickets per transaction (default 2,000) */
  chunk?: number;
  seed?: number;
  actors?: Partial<ScaleActors>;
  /** the ticket number prefix (TICKET_PREFIX, default 'FL') */
  prefix?: string;
  progress?: (done: number, total: number, note?: string) => void;
  /**
   * Also write the derived rows the service keeps, computed here by the service's own pure
   * functions: the search tokens (`ticketSearchTokens`, as `reindexSearch` writes them) and
   * the maintained figures (`ticketBuckets` per ticket into `ticket_figure`, their sum into
   * `report_figure`, as `rebuildFigures` leaves them). Default false (then run those commands).
   */
  derived?: boolean;
  /**
   * How rows reach the database: 'infile' (MariaDB only: LOAD DATA LOCAL INFILE of generated
   * text, unique and foreign key checks off for the session, and the secondary keys of the
   * big tables dropped for the load and added back after it when the tables start empty) or
   * 'insert' (multi-row INSERTs through TypeORM). Default: 'infile' on MariaDB, else 'insert'.
   * Both write the same rows.
   */
  method?: 'infile' | 'insert';
  /** with 'infile': drop the big tables' keys for the load and add them back after it (default true; only for tables that start empty) */
  deferKeys?: boolean;
}

/** What was written, by table. */
export type ScaleLoadSummary = Record<string, number>;

/** A small deterministic PRNG (mulberry32): the same seed loads the same data. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped id (version 4 layout), ascending with `k` within one table tag. */
const makeId = (tag: number, k: number) => `${tag.toString(16).padStart(8, '0')}-0000-4000-8000-${k.toString(16).padStart(12, '0')}`;

const METRIC_TYPES = new Set<string>(METRIC_EVENT_TYPES);

/**
 * The tables whose keys are dropped for a LOAD DATA into an empty table and added back after
 * it: the ticket's 20 secondary keys, and the search index, whose primary key (token first)
 * is not the loading order, so it is loaded without it and sorted once.
 */
const DEFERRED: [EntityTarget<ObjectLiteral>, boolean][] = [
  [Ticket, false],
  [TicketEvent, false],
  [OutboxMessage, false],
  [TicketSearchToken, true],
];

const TAG = { ticket: 0xb1, event: 0xb2, message: 0xb3, outbox: 0xb4, ret: 0xb5, ext: 0xb6, pause: 0xb7, esc: 0xb8, order: 0xb9, veto: 0xba, cause: 0xbb, history: 0xbc, actor: 0xbf } as const;

/** Writes one chunk's rows of one table (in the chunk's transaction). */
type Sink = (t: TableRows) => Promise<void>;

/**
 * Rows of several tables buffered, then converted through the entity metadata (column
 * names, defaults, transformers and the driver's value conversion) and handed to a sink.
 */
class BulkWriter {
  private buffers = new Map<EntityTarget<ObjectLiteral>, ObjectLiteral[]>();
  readonly counts: ScaleLoadSummary = {};
  constructor(private readonly db: DataSource) {}

  add(entity: EntityTarget<ObjectLiteral>, row: ObjectLiteral): void {
    const b = this.buffers.get(entity);
    if (b) b.push(row);
    else this.buffers.set(entity, [row]);
  }

  /** The rows buffered so far, as the driver binds them; the buffers start empty again. */
  take(): TableRows[] {
    const out: TableRows[] = [];
    const driver = this.db.driver;
    for (const [entity, rows] of this.buffers) {
      if (!rows.length) continue;
      const meta = this.db.getMetadata(entity);
      // not the generated columns (the stored deadline keys, `insert: false`): the database fills them
      const cols = meta.columns.filter((c) => c.isInsert);
      const prepared = rows.map((r) =>
        cols.map((c) => {
          let v = r[c.propertyName];
          if (v === undefined) v = c.default !== undefined ? c.default : null;
          return driver.preparePersistentValue(v, c);
        }),
      );
      out.push({ table: meta.tableName, columns: cols.map((c) => c.databaseName), rows: prepared });
      this.counts[meta.tableName] = (this.counts[meta.tableName] ?? 0) + rows.length;
    }
    this.buffers = new Map();
    return out;
  }
}

/** Multi-row INSERTs through TypeORM (either backend). */
function insertSink(em: EntityManager): Sink {
  const driver = em.connection.driver;
  return async ({ table, columns, rows }) => {
    // SQLite binds at most 32,766 parameters per statement; MariaDB takes a few MB per packet.
    const perStatement = Math.max(1, Math.min(isMysql(em) ? 1000 : 500, Math.floor(30_000 / columns.length)));
    const head = `INSERT INTO ${driver.escape(table)} (${columns.map((c) => driver.escape(c)).join(', ')}) VALUES `;
    const tuple = `(${columns.map(() => '?').join(',')})`;
    for (let i = 0; i < rows.length; i += perStatement) {
      const part = rows.slice(i, i + perStatement);
      await em.query(head + part.map(() => tuple).join(','), part.flat());
    }
  };
}

/** A raw mysql2 (callback API) connection: the one TypeORM's query runner holds. */
interface RawConnection {
  query(o: { sql: string; infileStreamFactory?: () => Readable }, cb: (err: Error | null, res: { affectedRows: number; warningStatus: number }) => void): void;
}

/**
 * `LOAD DATA LOCAL INFILE` of generated text through mysql2's `infileStreamFactory` (MariaDB):
 * the server parses tab-separated fields instead of SQL. With LOCAL, a bad value or a duplicate
 * key is a warning rather than an error (the server cannot stop the client's stream), so any
 * warning, or a row count that differs, fails the load.
 */
function infileSink(conn: RawConnection, q: (sql: string) => Promise<Record<string, unknown>[]>): (t: TableText) => Promise<void> {
  return async ({ table, columns, rows, chunks }) => {
    const sql =
      `LOAD DATA LOCAL INFILE 'scale-load' INTO TABLE \`${table}\` CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns.map((c) => `\`${c}\``).join(', ')})`;
    const buffers = chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    const res = await new Promise<{ affectedRows: number; warningStatus: number }>((ok, fail) =>
      conn.query({ sql, infileStreamFactory: () => Readable.from(buffers) }, (err, r) => (err ? fail(err) : ok(r))),
    );
    if (res.warningStatus > 0 || res.affectedRows !== rows) {
      const warnings = await q('SHOW WARNINGS LIMIT 5');
      throw new Error(`LOAD DATA into ${table}: ${res.affectedRows} of ${rows} rows, ${res.warningStatus} warning(s): ${JSON.stringify(warnings)}`);
    }
  };
}

/** The second thread (scale-load-worker.ts): one chunk at a time, answers in order. */
class TextThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { ok: (r: { tables: TableText[]; buckets: Bucket[] }) => void; fail: (e: Error) => void }>();
  private seq = 0;
  constructor(init: WorkerInit) {
    this.worker = new Worker(join(__dirname, 'scale-load-worker.js'), { workerData: init });
    this.worker.on('message', (m: { seq: number; tables: TableText[]; buckets: Bucket[]; error?: string }) => {
      const w = this.waiting.get(m.seq)!;
      this.waiting.delete(m.seq);
      if (m.error) w.fail(new Error(`scale-load worker: ${m.error}`));
      else w.ok(m);
    });
    this.worker.on('error', (e) => {
      for (const w of this.waiting.values()) w.fail(e);
      this.waiting.clear();
    });
  }
  run(tables: TableRows[], derived: DerivedInput[]): Promise<{ tables: TableText[]; buckets: Bucket[] }> {
    const seq = ++this.seq;
    return new Promise((ok, fail) => {
      this.waiting.set(seq, { ok, fail });
      this.worker.postMessage({ seq, tables, derived });
    });
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * The secondary keys of `table` dropped for the load and added back after it, from the
 * definitions SHOW CREATE TABLE gives (so exactly what the migrations made); `primary` also
 * the primary key (for a table whose key order is not the loading order). After restoring,
 * SHOW CREATE TABLE must read as before.
 */
async function deferKeys(q: (sql: string) => Promise<Record<string, unknown>[]>, table: string, primary: boolean): Promise<() => Promise<void>> {
  const show = async () => String((await q(`SHOW CREATE TABLE \`${table}\``))[0]['Create Table']);
  const before = await show();
  const keys = before
    .split('\n')
    .map((l) => l.trim().replace(/,$/, ''))
    .filter((l) => /^(UNIQUE )?KEY `/.test(l) || (primary && l.startsWith('PRIMARY KEY ')));
  const drops = keys.map((k) => (k.startsWith('PRIMARY') ? 'DROP PRIMARY KEY' : `DROP KEY \`${/KEY `([^`]+)`/.exec(k)![1]}\``));
  if (drops.length) await q(`ALTER TABLE \`${table}\` ${drops.join(', ')}`);
  return async () => {
    if (keys.length) await q(`ALTER TABLE \`${table}\` ${keys.map((k) => `ADD ${k}`).join(', ')}`);
    const after = await show();
    if (after !== before) throw new Error(`${table}: keys not restored as they were:\n${before}\n---\n${after}`);
  };
}

/** Words for titles: a place, a subject and a problem (so that search finds some and misses others). */
const PLACES = ['江东街道', '崇义街道', '荔枝街道', '敦仁街道', '马鞍街道', '龙桥街道', '李渡', '白涛', '南沱镇', '义和镇', '百胜镇', '新妙镇'];
const SUBJECTS: Record<string, string[]> = {
  tax_fees: ['定额税', '发票领用', '个税申报', '社保费', '城建税'],
  market_access: ['营业执照', '食品经营许可证', '名称登记', '经营范围变更'],
  financing: ['创业担保贷款', '贴息申请', '银行授信', '小额贷款'],
  premises: ['门面租金', '摊位安排', '占道经营', '店招审批'],
  rights_infringement: ['乱收费', '重复检查', '罚款', '吃拿卡要'],
  social_insurance: ['灵活就业参保', '医保报销', '养老保险'],
  policy_pricing: ['电价', '水价', '燃气价格'],
  transport: ['货车通行证', '停车位', '道路施工'],
  other: ['噪音', '消防验收', '环评手续'],
};
const PROBLEMS = ['办理时间太长', '多次被退回', '标准不清楚', '收费偏高', '材料要求不一致', '窗口无人受理', '政策未落实', '答复不明确'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '周', '吴'];

/**
 * Loads `o.tickets` tickets with their lives into `db` (migrated, seeded: departments and
 * categories must be there). Adds to what is there; the year counters are raised past the
 * numbers used, so that tickets created afterwards get fresh numbers.
 * @returns rows written per table
 */
export async function loadScale(db: DataSource, o: ScaleLoadOptions): Promise<ScaleLoadSummary> {
  const random = rng(o.seed ?? 15);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const chance = (p: number) => random() < p;
  const ring = eventChainKeys(db);
  const key: ChainKey = { id: ring.current, secret: ring.keys.get(ring.current)! };
  const prefix = o.prefix ?? 'FL';
  const now = o.now.getTime();
  const years = o.years ?? 3;
  const start = now - years * 365 * DAY;
  const openShare = o.openShare ?? 0.1;
  const chunk = o.chunk ?? 2000;
  const tz = o.tz;

  const departments = await db.getRepository(Department).find({ where: { active: true }, order: { code: 'ASC' } });
  const handling = departments.filter((d) => d.kind === 'department' || d.kind === 'coordinator').map((d) => d.code);
  const discipline = departments.find((d) => d.kind === 'discipline')?.code ?? 'DIS';
  const accusable = handling.filter((c) => c !== discipline);
  const categories = Object.keys(SUBJECTS);
  // Business owners' tickets are not spread evenly: market regulation and tax take the most
  // (a quarter and a fifth here), human resources a tenth, the rest share what is left.
  const weight = (c: string) => (c === 'SAMR' ? 25 : c === 'TAX' ? 20 : c === 'HRSS' ? 10 : 45 / Math.max(1, handling.filter((x) => !['SAMR', 'TAX', 'HRSS'].includes(x)).length));
  const cumulative: [number, string][] = [];
  let sum = 0;
  for (const c of handling) {
    sum += weight(c);
    cumulative.push([sum, c]);
  }
  const pickDepartment = () => {
    const x = random() * sum;
    return (cumulative.find(([upTo]) => x < upTo) ?? cumulative[cumulative.length - 1])[1];
  };
  const actors: ScaleActors = {
    coordinator: o.actors?.coordinator ?? makeId(TAG.actor, 1),
    intake: o.actors?.intake ?? makeId(TAG.actor, 2),
    supervisor: o.actors?.supervisor ?? makeId(TAG.actor, 3),
    handlers: Object.fromEntries([...handling, discipline].map((c, i) => [c, o.actors?.handlers?.[c] ?? makeId(TAG.actor, 100 + i)])),
  };

  // Calendar work memoized by local day: deadlines depend only on the start's local date.
  const wdMemo = new Map<string, number>();
  const dayKey = (t: number) => (tz === 'Asia/Shanghai' ? String(Math.floor((t + 8 * HOUR) / DAY)) : localDate(new Date(t), tz));
  const addWd = (t: number, n: number): number => {
    const k = `${dayKey(t)}:${n}`;
    const known = wdMemo.get(k);
    if (known !== undefined) return known;
    const v = addWorkingDays(new Date(t), n, o.cal, tz).dueAt.getTime();
    wdMemo.set(k, v);
    return v;
  };

  const w = new BulkWriter(db);
  const derived = o.derived ?? false;
  const method = o.method ?? (isMysql(db.manager) ? 'infile' : 'insert');
  if (method === 'infile' && !isMysql(db.manager)) throw new Error("method 'infile' needs MariaDB");
  /** the report figures of the tickets loaded so far, by bucket */
  const figures = new Map<string, Bucket>();
  const addFigures = (buckets: readonly Bucket[]) => {
    for (const b of buckets) {
      const known = figures.get(bucketId(b));
      if (!known) figures.set(bucketId(b), { ...b, counts: { ...b.counts } });
      else for (const c of FIGURE_COUNTS) known.counts[c] += b.counts[c];
    }
  };
  /** with LOAD DATA, the derived rows are computed by the second thread from these */
  let toDerive: DerivedInput[] = [];
  // numbers continue the year counters already there
  const counters = new Map<number, number>((await db.getRepository(TicketCounter).find()).map((c) => [c.year, c.lastValue]));
  const vetoes = new Map<string, { id: string; seq: number }>();
  const seqs = { event: 0, message: 0, outbox: 0, ret: 0, ext: 0, pause: 0, esc: 0, order: 0, veto: 0, cause: 0, history: 0 };
  const next = (k: keyof typeof seqs) => makeId(TAG[k], ++seqs[k]);
  function d(t: number): Date;
  function d(t: number | null): Date | null;
  function d(t: number | null): Date | null {
    return t === null ? null : new Date(t);
  }

  /** One ticket's life, written into the buffers. */
  const life = (k: number) => {
    const open = chance(openShare);
    // open tickets are mostly recent (the last 40 days); some are stuck for months (overdue)
    const received = Math.floor(open ? now - (chance(0.85) ? random() * 40 * DAY : 40 * DAY + random() * 300 * DAY) : start + random() * (now - start - 45 * DAY));
    const year = Number(localDate(new Date(received), tz).slice(0, 4));
    const n = (counters.get(year) ?? 0) + 1;
    counters.set(year, n);
    const id = makeId(TAG.ticket, k);
    const number = `${prefix}${year}${String(n).padStart(6, '0')}`;
    const integrity = chance(0.005);
    const kind: TicketKind = integrity ? 'integrity_report' : chance(0.12) ? 'suggestion' : 'complaint';
    const channel = integrity ? 'web' : pick(['web', 'web', 'hotline', 'hotline', 'hotline', 'letter'] as const);
    const category = integrity ? null : pick(categories);
    const dept = integrity ? discipline : pickDepartment();
    const accused = integrity ? pick(accusable) : null;
    const replyDays = kind === 'complaint' ? 5 : 15;
    const title = integrity ? `反映${pick(PLACES)}工作人员${pick(PROBLEMS)}` : `${pick(PLACES)}${pick(SUBJECTS[category!])}${pick(PROBLEMS)}`;
    const phone = `1${pick(['38', '39', '58', '87'])}${String(Math.floor(random() * 1e8)).padStart(8, '0')}`;
    const creditCode = `92500102${Math.floor(random() * 36 ** 5)
      .toString(36)
      .toUpperCase()
      .padStart(5, '0')}${String(k % 100_000).padStart(5, '0')}`;
    const contact = {
      name: `${pick(SURNAMES)}先生`,
      phone,
      creditCode,
      businessName: `涪陵区${pick(SURNAMES)}记${pick(['面馆', '超市', '五金店', '茶馆', '药店'])}`,
      ...(chance(0.3) ? { email: `owner${k}@example.test` } : {}),
    };
    const intakeActor = channel === 'web' ? { id: null, role: 'access_code' } : { id: actors.intake, role: 'intake' };
    const handler = (c: string) => ({ id: actors.handlers[c] ?? null, role: 'handler' });
    const coord = { id: actors.coordinator, role: 'coordinator' };
    const system = { id: null, role: 'system' };
    const submitter = { id: null, role: 'access_code' };

    type Ev = { type: string; at: number; from: string | null; to: string | null; actor: { id: string | null; role: string }; payload: Record<string, unknown>; cycle: number };
    const evs: Ev[] = [];
    const pauses: MetricPause[] = [];
    const metricEvents: MetricEvent[] = [];
    let cycle = 1;
    let state: TicketState = 'registered';
    const ev = (type: string, at: number, to: TicketState, actor: Ev['actor'], payload: Record<string, unknown> = {}) => {
      evs.push({ type, at, from: type === 'created' ? null : state, to, actor, payload, cycle });
      state = to;
    };
    const message = (kind: string, at: number, body: string, authorRole: string, authorId: string | null, internal = false) => {
      const mid = next('message');
      w.add(TicketMessage, { id: mid, ticketId: id, cycle, kind, internal, authorId, authorRole, body, createdAt: d(at) });
      return mid;
    };
    const t = {
      id,
      number,
      kind,
      channel,
      categoryCode: category,
      priority: chance(0.03) ? 'urgent' : 'normal',
      cycle: 1,
      departmentCode: null,
      title,
      description: `${title}。${pick(PROBLEMS)}，希望尽快处理。联系电话${phone}。`,
      submitterId: null,
      createdById: channel === 'web' ? null : actors.intake,
      anonymous: false,
      accessCodeHash: createHash('sha256').update(`bench:${number}`).digest('hex'),
      contact,
      sourceId: null,
      receivedAt: d(received),
      cycleStartedAt: d(received),
      routingClockStart: d(received),
      dispatchBy: null,
      signBy: null,
      replyBy: null,
      redBy: null,
      rateBy: null,
      dueSoonAt: null,
      deadlinesProvisional: false,
      nextCheckAt: null,
      pausedAt: null,
      escalationLevel: 0,
      outcome: null,
      repliedAt: null,
      rating: null,
      ratedAt: null,
      closedAt: null,
      rejectGround: null,
      mergedIntoId: null,
      symposiumId: null,
      resultNoticeId: null,
      resultEntryId: null,
      subjectCreditCode: null,
      decision: null,
      accusedDepartmentCode: accused,
      accusedPerson: null,
      demand: integrity ? pick(['fee', 'levy', 'property', 'other']) : null,
      amountYuan: integrity ? `${Math.floor(random() * 5000)}.00` : null,
      occurredOn: integrity ? localDate(new Date(received - Math.floor(random() * 20) * DAY), tz) : null,
      finding: null,
      version: 1,
      createdAt: d(received),
      updatedAt: d(received),
      state: undefined as unknown as TicketState,
    } as Ticket;
    const outbox = (notice: string, at: number, recipient: string | null, role: string, eventId: string) => {
      const oid = next('outbox');
      const sms = recipient !== null && /^1\d{10}$/.test(recipient);
      w.add(OutboxMessage, {
        id: oid,
        dedupeKey: createHash('sha256')
          .update(`event:${eventId}\n${recipient ?? `held:${role}`}`)
          .digest('hex'),
        sourceKey: `event:${eventId}`,
        notice,
        channel: sms ? 'sms' : 'email',
        ticketId: id,
        ticketNumber: number,
        sensitive: integrity,
        recipient,
        recipientUserId: null,
        recipientRole: role,
        subject: sms ? '' : `【${number}】${title}`,
        bodyText: `您好：工单${number}（${title}）有新进展，请登录平台查看。`,
        bodyHtml: sms ? '' : `<p>您好：工单<strong>${number}</strong>（${title}）有新进展，请登录平台查看。</p>`,
        state: at < now - HOUR ? 'sent' : 'pending',
        attempts: at < now - HOUR ? 1 : 0,
        lastError: null,
        messageId: at < now - HOUR ? `<${oid}@grievance.local>` : null,
        nextAttemptAt: d(at),
        notBefore: null,
        segments: sms ? 2 : null,
        claimedUntil: null,
        sentAt: at < now - HOUR ? d(at + 60_000) : null,
        createdAt: d(at),
        updatedAt: d(at),
      });
    };
    const pending: { notice: string; recipient: string | null; role: string }[][] = [];
    const notifyAt = (list: { notice: string; recipient: string | null; role: string }[]) => {
      pending[evs.length - 1] = list;
    };
    const toSubmitter = (notice: string) => [{ notice, recipient: contact.email ?? contact.phone, role: 'submitter' }];
    const toHandler = (notice: string, c: string) => [{ notice, recipient: `${c.toLowerCase()}.handler@example.test`, role: 'handler' }];
    const escalate = (level: 1 | 2 | 3, reason: string, triggered: number, at: number, c: string | null) => {
      const eid = next('esc');
      let orderId: string | null = null;
      let answeredAt: number | null = null;
      if (level >= 2 && !integrity) {
        orderId = next('order');
        const respondBy = addWd(at, 2);
        const answered = respondBy < now || chance(0.5) ? (chance(0.9) ? at + random() * (respondBy - at) : respondBy + random() * DAY) : null;
        const closedAt = answered !== null && answered + DAY < now && (state === 'closed' || chance(0.5)) ? answered + DAY : null;
        w.add(OversightOrder, {
          id: orderId,
          ticketId: id,
          ticketNumber: number,
          cycle,
          level,
          escalationId: eid,
          reason,
          departmentCode: c,
          state: closedAt ? 'closed' : answered !== null && answered < now ? 'responded' : 'open',
          note: null,
          openedAt: d(at),
          respondBy: d(respondBy),
          respondByProvisional: false,
          watchAt: answered === null ? d(respondBy) : null,
          lateAt: null,
          respondedAt: answered !== null && answered < now ? d(answered) : null,
          respondedById: answered !== null && answered < now && c ? (actors.handlers[c] ?? null) : null,
          response: answered !== null && answered < now ? '已督促办理' : null,
          closedAt: d(closedAt),
          closedById: closedAt ? actors.coordinator : null,
          closeNote: null,
        });
        if (answered !== null && answered < now) answeredAt = answered;
      }
      w.add(Escalation, {
        id: eid,
        ticketId: id,
        cycle,
        level,
        reason,
        target: integrity || level === 3 ? 'supervisors' : level === 1 ? (c ? 'department_head' : 'coordinator_office') : c ? 'department' : 'coordinator_office',
        departmentCode: c,
        triggeredAt: d(triggered),
        escalatedAt: d(at),
        actorId: null,
        actorRole: 'system',
        orderId,
      });
      return { orderId, answered: answeredAt };
    };

    // created, and routed at creation (routing rules) or dispatched by the coordinator
    ev('created', received, 'registered', intakeActor, {
      kind,
      channel,
      categoryCode: category,
      priority: t.priority,
      receivedAt: new Date(received).toISOString(),
      anonymous: false,
      symposiumId: null,
    });
    notifyAt(toSubmitter('ticket_received'));
    t.replyBy = d(addWd(received, replyDays));
    t.redBy = d(addWd(received, replyDays + 5));
    const stuckRegistered = open && chance(0.08);
    const ended = !open && !integrity && chance(0.03);
    if (ended) {
      // not admissible (不予受理) by the coordinator, or withdrawn by the owner, before any dispatch
      const at = received + HOUR + random() * 20 * HOUR;
      if (chance(0.7)) {
        const ground = pick(['outside_remit', 'handled_elsewhere', 'not_business_related', 'materials_missing_or_false'] as const);
        t.rejectGround = ground;
        ev('rejected', at, 'rejected', coord, { ground, messageId: message('reject_detail', at, '不属于受理范围', 'coordinator', actors.coordinator) });
        notifyAt(toSubmitter('ticket_rejected'));
        t.state = 'rejected';
      } else {
        ev('withdrawn', at, 'withdrawn', submitter, {});
        t.state = 'withdrawn';
      }
      t.closedAt = d(at);
    } else if (stuckRegistered) {
      t.dispatchBy = d(addWd(received, 1));
      t.state = 'registered';
    } else {
      const auto = integrity || chance(0.7);
      let at = auto ? received : received + HOUR + random() * 20 * HOUR;
      const c = dept;
      // a return (退单) now and then: dispatched to one department, returned, dispatched to another
      if (!integrity && chance(0.05)) {
        const first = pick(handling.filter((x) => x !== dept));
        ev('dispatched', at, 'dispatched', auto ? system : coord, auto ? { departmentCode: first, auto: true } : { departmentCode: first, previousDepartmentCode: null, redispatch: false });
        notifyAt(toHandler('ticket_dispatched', first));
        const back = at + HOUR + random() * 10 * HOUR;
        w.add(TicketReturn, { id: next('ret'), ticketId: id, cycle, departmentCode: first, returnedAt: d(back) });
        ev('returned', back, 'registered', handler(first), { departmentCode: first, messageId: message('return_reason', back, '不属于本单位职责范围', 'handler', actors.handlers[first] ?? null) });
        at = back + HOUR + random() * 5 * HOUR;
        ev('dispatched', at, 'dispatched', coord, { departmentCode: c, previousDepartmentCode: first, redispatch: false });
      } else {
        ev('dispatched', at, 'dispatched', auto ? system : coord, auto ? { departmentCode: c, auto: true } : { departmentCode: c, previousDepartmentCode: null, redispatch: false });
      }
      notifyAt(toHandler('ticket_dispatched', c));
      t.departmentCode = c;
      t.routingClockStart = d(at);
      const signBy = addWd(at, 1);
      t.signBy = d(signBy);
      if (open && chance(0.12)) {
        t.state = 'dispatched';
        if (signBy + 10 * 60_000 < now) {
          escalate(1, 'sign_late', signBy, signBy + 10 * 60_000, c);
          ev('escalated', signBy + 10 * 60_000, 'dispatched', system, { level: 1, reason: 'sign_late' });
          t.escalationLevel = 1;
        }
      } else {
        const lateSign = chance(0.05);
        let signed = lateSign ? signBy + 11 * 60_000 + random() * DAY : at + random() * Math.max(HOUR, signBy - at - HOUR);
        if (signed >= now) signed = at + (now - at) * random();
        if (signed > signBy + 10 * 60_000) {
          escalate(1, 'sign_late', signBy, signBy + 10 * 60_000, c);
          ev('escalated', signBy + 10 * 60_000, 'dispatched', system, { level: 1, reason: 'sign_late' });
          t.escalationLevel = 1;
        }
        ev('signed', signed, 'in_progress', handler(c), { signBy: new Date(signBy).toISOString(), onTime: signed < signBy });
        let replyBy = t.replyBy!.getTime();
        let cursor = signed;
        // an information request and its supplement (the clock paused in between)
        if (chance(0.06)) {
          const asked = cursor + random() * DAY;
          ev('info_requested', asked, 'awaiting_info', handler(c), { messageId: message('info_request', asked, '请补充营业执照照片', 'handler', actors.handlers[c] ?? null) });
          notifyAt(toSubmitter('info_requested'));
          const pid = next('pause');
          if (open && chance(0.5) && asked + DAY > now - 5 * DAY) {
            w.add(TicketPause, { id: pid, ticketId: id, cycle, pausedAt: d(asked), resumedAt: null });
            pauses.push({ id: pid, ticketId: id, cycle, pausedAt: d(asked), resumedAt: null } as MetricPause);
            t.pausedAt = d(asked);
            t.state = 'awaiting_info';
          } else {
            const back = asked + random() * 3 * DAY;
            w.add(TicketPause, { id: pid, ticketId: id, cycle, pausedAt: d(asked), resumedAt: d(back) });
            pauses.push({ id: pid, ticketId: id, cycle, pausedAt: d(asked), resumedAt: d(back) } as MetricPause);
            ev('supplemented', back, 'in_progress', submitter, { messageId: message('supplement', back, '已补充材料', 'submitter', null) });
            replyBy = addWd(replyBy - DAY, 1 + Math.max(0, Math.round((back - asked) / DAY)));
            t.replyBy = d(replyBy);
            t.redBy = d(addWd(replyBy - DAY, 6));
            cursor = back;
          }
        }
        // an extension request, mostly approved
        if (t.state !== 'awaiting_info' && chance(0.04)) {
          const asked = cursor + random() * DAY;
          const xid = next('ext');
          const approved = chance(0.8);
          const decided = asked + random() * 10 * HOUR;
          w.add(TicketExtension, {
            id: xid,
            ticketId: id,
            cycle,
            workingDays: 5,
            reason: '需现场核查',
            state: approved ? 'approved' : 'denied',
            requestedById: actors.handlers[c] ?? actors.coordinator,
            requestedAt: d(asked),
            decidedById: actors.coordinator,
            decidedAt: d(decided),
          });
          ev('extension_requested', asked, 'in_progress', handler(c), { extensionId: xid, workingDays: 5 });
          ev('extension_decided', decided, 'in_progress', coord, { extensionId: xid, approved, workingDays: 5 });
          notifyAt(toHandler('extension_decided', c));
          if (approved) {
            replyBy = addWd(replyBy - DAY, 6);
            t.replyBy = d(replyBy);
            t.redBy = d(addWd(replyBy - DAY, 6));
          }
          cursor = decided;
        }
        if (t.state !== 'awaiting_info') {
          const stayOpen = open && chance(0.7);
          const late = chance(stayOpen ? 0.15 : 0.07);
          let replied = late ? replyBy + random() * 4 * DAY : cursor + random() * Math.max(HOUR, replyBy - cursor - HOUR);
          const redBy = t.redBy!.getTime();
          // the ladder for a late reply: level 2 at the reply deadline, level 3 at the red-card deadline
          const until = stayOpen ? now : replied;
          if (replyBy + 10 * 60_000 < until) {
            const e = escalate(2, 'reply_late', replyBy, replyBy + 10 * 60_000, c);
            ev('escalated', replyBy + 10 * 60_000, 'in_progress', system, { level: 2, reason: 'reply_late' });
            if (e.answered !== null && e.orderId) {
              const at = Math.max(e.answered, replyBy + 11 * 60_000);
              evs.push({ type: 'oversight_responded', at, from: state, to: state, actor: handler(c), payload: { orderId: e.orderId, level: 2, onTime: at < addWd(replyBy + 10 * 60_000, 2) }, cycle });
            }
            t.escalationLevel = 2;
            if (redBy + 10 * 60_000 < until) {
              escalate(3, 'reply_missing', redBy, redBy + 10 * 60_000, c);
              ev('escalated', redBy + 10 * 60_000, 'in_progress', system, { level: 3, reason: 'reply_missing' });
              t.escalationLevel = 3;
            }
          }
          if (stayOpen) {
            t.state = 'in_progress';
          } else {
            if (replied >= now) replied = cursor + (now - cursor) * random();
            state = 'in_progress';
            if (integrity) {
              const finding = chance(0.25) ? 'substantiated' : 'unsubstantiated';
              const payload: Record<string, unknown> = { finding, messageId: message('conclusion', replied, '经核查，反映问题基本属实', 'supervisor', actors.supervisor), onTime: replied < replyBy };
              if (finding === 'substantiated') {
                const vyear = Number(t.occurredOn!.slice(0, 4));
                const vkey = `${accused}:${vyear}`;
                let v = vetoes.get(vkey);
                const change = v ? 'cause_added' : 'imposed';
                if (!v) {
                  v = { id: next('veto'), seq: 0 };
                  vetoes.set(vkey, v);
                  w.add(Veto, { id: v.id, departmentCode: accused, year: vyear, createdAt: d(replied), createdById: actors.supervisor });
                }
                w.add(VetoCause, { id: next('cause'), vetoId: v.id, ticketId: id, ticketNumber: number, addedAt: d(replied), addedById: actors.supervisor, revokedAt: null });
                w.add(VetoHistory, { id: next('history'), vetoId: v.id, seq: ++v.seq, type: change, at: d(replied), actorId: actors.supervisor, ticketId: id, reason: null });
                Object.assign(payload, { vetoId: v.id, vetoYear: vyear, vetoChange: change });
              }
              t.finding = finding;
              ev('concluded', replied, 'replied', { id: actors.supervisor, role: 'supervisor' }, payload);
              notifyAt(toSubmitter('ticket_concluded'));
            } else {
              const outcome = pick(['resolved', 'resolved', 'resolved', 'explained', 'unresolvable'] as const);
              t.outcome = outcome;
              ev('replied', replied, 'replied', handler(c), {
                outcome,
                messageId: message('reply', replied, `关于“${title}”：经核实，已协调相关单位处理。`, 'handler', actors.handlers[c] ?? null),
                onTime: replied < replyBy,
              });
              notifyAt(toSubmitter('ticket_replied'));
            }
            t.repliedAt = d(replied);
            const rateBy = addWd(replied, 3);
            t.rateBy = d(rateBy);
            if (open || rateBy > now) {
              t.state = 'replied';
            } else if (chance(0.2)) {
              const closed = rateBy + random() * HOUR;
              t.rating = 'none';
              t.closedAt = d(closed);
              ev('closed', closed, 'closed', system, { rating: 'none', reason: 'rating_window_expired', rateBy: new Date(rateBy).toISOString() });
              t.state = 'closed';
            } else {
              let rated = replied + random() * (rateBy - replied);
              const bad = !integrity && chance(0.04);
              if (bad) {
                // a bad rating: rated in cycle 1, reopened into cycle 2, answered again and rated well
                const rating: Rating = pick(['dissatisfied', 'very_dissatisfied']);
                ev('rated', rated, 'replied', submitter, { rating, via: 'access_code', reopened: true });
                cycle = 2;
                ev('reopened', rated, 'dispatched', submitter, { cycle: 2, reason: 'bad_rating' });
                notifyAt(toHandler('ticket_reopened', c));
                t.cycle = 2;
                t.cycleStartedAt = d(rated);
                t.routingClockStart = d(rated);
                const signBy2 = addWd(rated, 1);
                const reply2 = addWd(rated, replyDays);
                t.signBy = d(signBy2);
                t.replyBy = d(reply2);
                t.redBy = d(addWd(rated, replyDays + 5));
                const signed2 = rated + random() * (signBy2 - rated);
                ev('signed', signed2, 'in_progress', handler(c), { signBy: new Date(signBy2).toISOString(), onTime: true });
                const replied2 = signed2 + random() * (reply2 - signed2);
                const outcome = 'resolved';
                t.outcome = outcome;
                ev('replied', replied2, 'replied', handler(c), { outcome, messageId: message('reply', replied2, '再次核实后已解决。', 'handler', actors.handlers[c] ?? null), onTime: true });
                notifyAt(toSubmitter('ticket_replied'));
                t.repliedAt = d(replied2);
                const rateBy2 = addWd(replied2, 3);
                t.rateBy = d(rateBy2);
                rated = replied2 + random() * (rateBy2 - replied2);
                if (rated > now) rated = now - HOUR;
              }
              const rating: Rating = pick(['very_satisfied', 'satisfied', 'satisfied', 'basically_satisfied', 'very_satisfied']);
              t.rating = rating;
              t.ratedAt = d(rated);
              t.closedAt = d(rated);
              ev('rated', rated, 'closed', submitter, { rating, via: 'access_code' });
              t.state = 'closed';
            }
          }
        }
      }
    }
    // a finished ticket may also have been rejected or withdrawn before any work (a few)
    t.state = t.state ?? state;
    // Deadlines as the schedule leaves them: the dispatch deadline only while registered, none owed after the reply.
    const s = t.state as TicketState;
    if (s !== 'registered') t.dispatchBy = null;
    if (['dispatched', 'in_progress', 'registered'].includes(s)) {
      const owed = [s === 'registered' ? t.dispatchBy : s === 'dispatched' ? t.signBy : null, t.replyBy].filter((x): x is Date => !!x);
      const earliest = owed.reduce((a, b) => (b.getTime() < a.getTime() ? b : a));
      t.dueSoonAt = dueSoonInstant(earliest, undefined, o.cal, tz);
      const later = [t.dueSoonAt, ...owed, t.redBy].filter((x): x is Date => !!x && x.getTime() > now).map((x) => x.getTime());
      t.nextCheckAt = later.length ? new Date(Math.min(...later)) : null;
    } else if (s === 'replied') {
      t.nextCheckAt = t.rateBy;
    } else if (s === 'awaiting_info') {
      t.nextCheckAt = d(addWd(t.pausedAt!.getTime(), 5));
    }
    // the chain: in time order (the ladder's escalations fall between the actions), seq 1…n
    const order = evs.map((e, i) => ({ e, i, n: pending[i] })).sort((a, b) => a.e.at - b.e.at || a.i - b.i);
    let prev = GENESIS_HASH;
    let last = received;
    for (const [j, { e, n: notices }] of order.entries()) {
      const eid = next('event');
      const row = {
        id: eid,
        ticketId: id,
        seq: j + 1,
        cycle: e.cycle,
        type: e.type,
        actorId: e.actor.id,
        actorRole: e.actor.role,
        at: new Date(Math.floor(e.at)),
        fromState: e.from,
        toState: e.to,
        payload: e.payload,
        prevHash: prev,
        keyId: key.id,
        hash: '',
      };
      row.hash = eventHash(row, key);
      prev = row.hash;
      last = Math.max(last, Math.floor(e.at));
      w.add(TicketEvent, row);
      // as refreshFigures reads it back: the payload through its JSON text
      if (derived && METRIC_TYPES.has(row.type)) metricEvents.push({ ...row, payload: JSON.parse(JSON.stringify(row.payload)) } as unknown as MetricEvent);
      for (const x of notices ?? []) outbox(x.notice, Math.floor(e.at), x.recipient, x.role, eid);
    }
    t.version = order.length;
    t.updatedAt = d(last);
    w.add(Ticket, t);
    if (!derived) return;
    const searched = { kind: t.kind, number: t.number, title: t.title, description: t.description, contact: t.contact, subjectCreditCode: t.subjectCreditCode };
    // what ticketBuckets reads of the ticket (as refreshFigures selects it)
    const metric = {
      id,
      kind: t.kind,
      state: t.state,
      departmentCode: t.departmentCode,
      accusedDepartmentCode: t.accusedDepartmentCode,
      receivedAt: t.receivedAt,
      cycle: t.cycle,
      cycleStartedAt: t.cycleStartedAt,
      signBy: t.signBy,
      replyBy: t.replyBy,
    };
    if (method === 'infile') {
      toDerive.push({ ticket: { ...searched, ...metric, createdAt: t.createdAt } as DerivedInput['ticket'], events: metricEvents, pauses });
      return;
    }
    for (const token of ticketSearchTokens(searched)) w.add(TicketSearchToken, { token, createdAt: t.createdAt, ticketId: id });
    const buckets = ticketBuckets(metric as MetricTicket, metricEvents, pauses, o.cal, tz);
    if (buckets.length) {
      w.add(TicketFigure, { ticketId: id, buckets, refreshedAt: o.now });
      addFigures(buckets);
    }
  };

  /** the rows written after the last chunk: the report figures' sum, when derived */
  const lastRows = () => {
    if (derived) for (const b of mergeDeltas([[...figures.values()]])) w.add(ReportFigure, { departmentCode: b.departmentCode, day: b.day, accused: b.accused, ...b.counts });
    return w.take();
  };
  /** generates chunk after chunk of tickets; `write` is called in order, and awaited before the next chunk's rows are taken */
  const chunks = async (write: (rows: TableRows[], derived: DerivedInput[], end: number) => Promise<void>, overlap: boolean) => {
    let writing: Promise<void> | null = null;
    for (let k = 1; k <= o.tickets; k += chunk) {
      const end = Math.min(o.tickets, k + chunk - 1);
      for (let i = k; i <= end; i++) {
        life(i);
        // let the socket and the second thread take the previous chunk meanwhile
        if (writing && i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      const rows = w.take();
      const d = toDerive;
      toDerive = [];
      if (writing) await writing;
      writing = write(rows, d, end);
      if (!overlap) {
        await writing;
        o.progress?.(end, o.tickets);
      }
    }
    if (writing) await writing;
  };

  if (method === 'insert') {
    const write = (rows: TableRows[]) =>
      db.transaction(async (em) => {
        const sink = insertSink(em);
        for (const t of rows) await sink(t);
      });
    await chunks(write, false);
    await write(lastRows());
  } else {
    const qr = db.createQueryRunner('master');
    const conn = (await qr.connect()) as RawConnection;
    const q = (sql: string): Promise<Record<string, unknown>[]> => qr.query(sql);
    const columnsOf = (entity: EntityTarget<ObjectLiteral>) => db.getMetadata(entity).columns.filter((c) => c.isInsert);
    const derivedTables = [db.getMetadata(TicketSearchToken).tableName, db.getMetadata(TicketFigure).tableName];
    const thread = new TextThread({
      cal: o.cal.source(),
      tz,
      refreshedAt: o.now,
      tokenTable: db.getMetadata(TicketSearchToken).tableName,
      tokenColumns: columnsOf(TicketSearchToken).map((c) => c.propertyName),
      tokenDbColumns: columnsOf(TicketSearchToken).map((c) => c.databaseName),
      figureTable: db.getMetadata(TicketFigure).tableName,
      figureColumns: columnsOf(TicketFigure).map((c) => c.propertyName),
      figureDbColumns: columnsOf(TicketFigure).map((c) => c.databaseName),
    });
    try {
      await q('SET SESSION unique_checks = 0, foreign_key_checks = 0');
      // Secondary keys built once after the load (a sort) rather than entry by entry; only
      // when the tables start empty (a load added to a large table would rebuild its keys).
      const restore: [string, () => Promise<void>][] = [];
      for (const [entity, primary] of o.deferKeys === false ? [] : DEFERRED) {
        const table = db.getMetadata(entity).tableName;
        const [{ n }] = await q(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM \`${table}\` LIMIT 1) x`);
        if (Number(n) === 0) restore.push([table, await deferKeys(q, table, primary)]);
      }
      const sink = infileSink(conn, q);
      // one chunk loading while the next is turned into text and the one after is generated
      let loading: Promise<void> = Promise.resolve();
      const load = async (text: { tables: TableText[]; buckets: Bucket[] }) => {
        await q('START TRANSACTION');
        try {
          for (const t of text.tables) await sink(t);
          await q('COMMIT');
        } catch (e) {
          await q('ROLLBACK');
          throw e;
        }
      };
      await chunks(async (rows, d, end) => {
        const text = thread.run(rows, d);
        const previous = loading;
        loading = (async () => {
          const t = await text;
          addFigures(t.buckets);
          for (const x of t.tables) if (derivedTables.includes(x.table)) w.counts[x.table] = (w.counts[x.table] ?? 0) + x.rows;
          await previous;
          await load(t);
          o.progress?.(end, o.tickets);
        })();
        // at most one chunk loading and one being turned into text while the next is generated
        await previous;
      }, true);
      await loading;
      await load(await thread.run(lastRows(), []));
      const took: string[] = [];
      for (const [table, r] of restore) {
        const t0 = Date.now();
        await r();
        took.push(`${table} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      if (took.length) o.progress?.(o.tickets, o.tickets, `keys added back: ${took.join(', ')}`);
    } finally {
      await thread.close();
      await q('SET SESSION unique_checks = 1, foreign_key_checks = 1').catch(() => undefined);
      await qr.release();
    }
  }
  // the year counters past the numbers used, as the service would have left them
  await db.transaction(async (em) => {
    for (const [year, n] of counters) {
      const row = await em.findOneBy(TicketCounter, { year });
      if (!row) await em.insert(TicketCounter, { year, lastValue: n });
      else await em.update(TicketCounter, { year }, { lastValue: Math.max(row.lastValue, n) });
    }
  });
  return w.counts;
}

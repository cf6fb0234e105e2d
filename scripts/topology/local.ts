/**
 * A local multi-node topology on this machine's loopback (issue 14): a 3-master Redis
 * Cluster, Redis with a replica and three sentinels, a 3-node MariaDB Galera cluster
 * (Debian `galera-4`, rsync state transfer), haproxy, and service processes. Everything runs
 * as child processes in their own process groups, with data under one temporary directory,
 * on free ports; `stop()` ends every process it started (by process group id) and removes
 * the directory, also after a failure. Used by `npm run test:topology` and
 * `npm run bench:topology`. Nothing here touches the machine's own MariaDB or Redis.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createConnection } from 'mysql2/promise';
import Redis from 'ioredis';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const ROOT = resolve(__dirname, '..', '..', '..');

/**
 * Waits until `check` returns a truthy value (polling every `everyMs`); throws with `what`
 * after `timeoutMs`, with the last error of `check` and what `describe` says then (the state
 * it was waiting on).
 */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 200, describe?: () => string | Promise<string>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      let state = '';
      if (describe) {
        try {
          state = `; ${await describe()}`;
        } catch (e) {
          state = `; (state unknown: ${(e as Error).message})`;
        }
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${state}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface Backlog {
  /** what is still to do (0: done) */
  left: number;
  /** what has been done so far (rises while work goes on) */
  done: number;
  /** until when (epoch ms) the work left is known to wait on purpose (leases, retry delays): no progress is expected before */
  waitsUntil?: number;
  /** the state in words, for the message when the wait gives up */
  text: string;
}

/**
 * Waits for a backlog to drain for as long as it drains: gives up only when `read()` shows
 * no progress (`left` not shrinking, `done` not rising) for `stallMs` beyond the latest
 * instant the backlog said it waits on purpose (`waitsUntil`), or when `maxMs` (derived by
 * the caller from the amount of work) has passed. The error says what was waited for, how
 * long, why it gave up and the last state.
 */
export async function drain(
  what: string,
  read: () => Promise<Backlog>,
  o: { stallMs: number; maxMs: number; everyMs?: number; onProgress?: (b: Backlog, elapsedMs: number) => void },
): Promise<Backlog> {
  const t0 = Date.now();
  let bestLeft = Infinity;
  let bestDone = -Infinity;
  let movedAt = t0;
  let last: Backlog | null = null;
  let lastErr: unknown;
  for (;;) {
    const now = Date.now();
    try {
      const b = await read();
      last = b;
      lastErr = undefined;
      if (b.left === 0) return b;
      if (b.left < bestLeft || b.done > bestDone) {
        bestLeft = Math.min(b.left, bestLeft);
        bestDone = Math.max(b.done, bestDone);
        movedAt = now;
        o.onProgress?.(b, now - t0);
      }
    } catch (e) {
      lastErr = e;
    }
    const quietSince = Math.max(movedAt, last?.waitsUntil ?? 0);
    const reason =
      now - t0 > o.maxMs
        ? `its bound of ${Math.round(o.maxMs / 1000)} s passed`
        : now - quietSince > o.stallMs
          ? `no progress for ${Math.round((now - movedAt) / 1000)} s (allowed: ${Math.round(o.stallMs / 1000)} s after the last progress or the last known retry time)`
          : null;
    if (reason) {
      throw new Error(
        `gave up waiting for ${what} after ${Math.round((now - t0) / 1000)} s: ${reason}; ${last ? last.text : 'no state read'}${lastErr ? `; last error: ${(lastErr as Error).message}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 1000));
  }
}

const portFree = (port: number) =>
  new Promise<boolean>((r) => {
    const s = createServer();
    s.once('error', () => r(false));
    s.listen(port, '127.0.0.1', () => s.close(() => r(true)));
  });

/** What must be installed; a missing piece is named (the CI script installs them). */
export function missingTools(): string[] {
  const out: string[] = [];
  const has = (cmd: string) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  for (const c of ['redis-server', 'redis-cli', 'mariadbd', 'mariadb-install-db', 'haproxy', 'rsync']) if (!has(c)) out.push(c);
  if (!existsSync(GALERA_PROVIDER)) out.push(`galera-4 (${GALERA_PROVIDER})`);
  return out;
}

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

export class LocalTopology {
  readonly dir: string;
  private readonly procs: Proc[] = [];
  private readonly used = new Set<number>();
  private stopped = false;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'grievance-topology-'));
    chmodSync(this.dir, 0o755); // mariadbd runs as `mysql` and must reach its data directory
  }

  /** A free loopback port (and `port + offset` free too for each offset, e.g. a Redis Cluster bus port). */
  async port(offsets: number[] = []): Promise<number> {
    for (let i = 0; i < 500; i++) {
      const p = 20_000 + Math.floor(Math.random() * 25_000);
      const all = [p, ...offsets.map((o) => p + o)];
      if (all.some((q) => this.used.has(q))) continue;
      if ((await Promise.all(all.map(portFree))).every(Boolean)) {
        for (const q of all) this.used.add(q);
        return p;
      }
    }
    throw new Error('no free port found');
  }

  /** Starts a process in its own process group, output to `<dir>/<name>.log`. */
  spawn(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Proc {
    if (this.stopped) throw new Error('the topology is stopped');
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const p = { name, child, log, exited };
    this.procs.push(p);
    return p;
  }

  /** Sends `signal` to the process group of `p` (the process and whatever it started, e.g. an rsync SST). */
  signal(p: Proc, signal: NodeJS.Signals) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    try {
      process.kill(-p.child.pid!, signal);
    } catch {
      /* gone */
    }
  }

  /** SIGKILL: a crash. Resolves when it has exited. */
  async kill(p: Proc) {
    this.signal(p, 'SIGKILL');
    await p.exited;
  }

  tail(p: Proc, lines = 30): string {
    try {
      return readFileSync(p.log, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Ends every process started here (SIGTERM, then SIGKILL after 3 s) and removes the directory. */
  async stop(keepDir = false) {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.procs) this.signal(p, 'SIGTERM');
    await Promise.race([Promise.all(this.procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 3000))]);
    for (const p of this.procs) this.signal(p, 'SIGKILL');
    await Promise.race([Promise.all(this.procs.map((p) => p.exited)), new Promise((r) => setTimeout(r, 3000))]);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  // ---- Redis -------------------------------------------------------------------------

  private redisArgs(port: number, dir: string, extra: string[] = []) {
    mkdirSync(dir, { recursive: true });
    return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...extra];
  }

  /** A Redis Cluster of `masters` masters (no replicas), all slots assigned; returns the seed list. */
  async redisCluster(masters = 3): Promise<{ url: string; ports: number[] }> {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const port = await this.port([10_000]);
      ports.push(port);
      this.spawn(
        `redis-cluster-${i + 1}`,
        'redis-server',
        this.redisArgs(port, join(this.dir, `redis-cluster-${port}`), ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']),
      );
    }
    for (const p of ports) await until(`redis cluster node ${p}`, async () => ping(p), 15_000);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
    for (const p of ports) {
      await until(
        `cluster_state:ok on ${p}`,
        async () => {
          const r = new Redis(p, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          r.on('error', () => undefined); // not up yet: the connect rejects, and the wait says what it waited for
          try {
            await r.connect();
            return /cluster_state:ok/.test((await r.cluster('INFO')) as string);
          } finally {
            r.disconnect();
          }
        },
        20_000,
      );
    }
    return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports };
  }

  /** One plain Redis server (the one-node setup of `npm run bench:topology`). */
  async redis(): Promise<{ url: string; port: number; proc: Proc }> {
    const port = await this.port();
    const proc = this.spawn('redis', 'redis-server', this.redisArgs(port, join(this.dir, `redis-${port}`)));
    await until('redis', async () => ping(port), 15_000);
    return { url: `redis://127.0.0.1:${port}/0`, port, proc };
  }

  /** A Redis master with one replica and three sentinels (quorum 2) naming it `grievance`. */
  async redisSentinel(): Promise<{ url: string; master: Proc; replica: Proc; masterPort: number; replicaPort: number; sentinelPorts: number[] }> {
    const masterPort = await this.port();
    const replicaPort = await this.port();
    const master = this.spawn('redis-master', 'redis-server', this.redisArgs(masterPort, join(this.dir, `redis-${masterPort}`)));
    const replica = this.spawn('redis-replica', 'redis-server', this.redisArgs(replicaPort, join(this.dir, `redis-${replicaPort}`), ['--replicaof', '127.0.0.1', String(masterPort)]));
    await until('redis master', async () => ping(masterPort), 15_000);
    await until('redis replica in sync', async () => /master_link_status:up/.test(await info(replicaPort, 'replication')), 20_000);
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await this.port();
      sentinelPorts.push(port);
      const d = join(this.dir, `sentinel-${port}`);
      mkdirSync(d, { recursive: true });
      const conf = join(d, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${d}`,
          'protected-mode no',
          `sentinel monitor grievance 127.0.0.1 ${masterPort} 2`,
          'sentinel down-after-milliseconds grievance 1000',
          'sentinel failover-timeout grievance 10000',
          'sentinel parallel-syncs grievance 1',
          '',
        ].join('\n'),
      );
      this.spawn(`sentinel-${i + 1}`, 'redis-server', [conf, '--sentinel']);
    }
    for (const p of sentinelPorts) {
      await until(
        `sentinel ${p} sees the replica and the other sentinels`,
        async () => {
          const r = new Redis(p, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          r.on('error', () => undefined); // not up yet: the connect rejects, and the wait says what it waited for
          try {
            await r.connect();
            const m = (await r.call('SENTINEL', 'MASTER', 'grievance')) as string[];
            const pairs: string[][] = [];
            for (let i = 0; i + 1 < m.length; i += 2) pairs.push([m[i], m[i + 1]]);
            const f = Object.fromEntries(pairs);
            return Number(f['num-slaves']) >= 1 && Number(f['num-other-sentinels']) >= 2;
          } finally {
            r.disconnect();
          }
        },
        30_000,
      );
    }
    return { url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/grievance`, master, replica, masterPort, replicaPort, sentinelPorts };
  }

  // ---- MariaDB Galera ----------------------------------------------------------------

  /**
   * A Galera cluster of `n` MariaDB nodes (wsrep provider galera-4; the first bootstraps the
   * cluster, the others join by rsync SST), causal reads on (`wsrep_sync_wait=1`: a read on
   * one node sees what another node committed before it), and a user `grv`/`grv` that may
   * connect over TCP. Resolves when every node is Synced.
   */
  async galera(n = 3): Promise<{ nodes: GaleraNode[]; url: (node: number, db: string) => string }> {
    const nodes: GaleraNode[] = [];
    for (let i = 1; i <= n; i++) {
      nodes.push({ name: `galera-${i}`, port: await this.port(), gcomm: await this.port(), ist: await this.port(), sst: await this.port(), dir: join(this.dir, `galera-${i}`), proc: null });
    }
    const addr = nodes.map((x) => `127.0.0.1:${x.gcomm}`).join(',');
    for (const node of nodes) {
      mkdirSync(join(node.dir, 'data'), { recursive: true });
      writeFileSync(
        join(node.dir, 'my.cnf'),
        [
          '[mysqld]',
          'user=mysql',
          `datadir=${node.dir}/data`,
          `socket=${node.dir}/sock`,
          `pid-file=${node.dir}/pid`,
          `port=${node.port}`,
          'bind-address=127.0.0.1',
          `log-error=${node.dir}/error.log`,
          'skip-name-resolve',
          'binlog_format=ROW',
          'default_storage_engine=InnoDB',
          'innodb_autoinc_lock_mode=2',
          'innodb_buffer_pool_size=64M',
          'innodb_log_file_size=32M',
          'innodb_flush_log_at_trx_commit=2',
          'performance_schema=OFF',
          'character-set-server=utf8mb4',
          'collation-server=utf8mb4_unicode_ci',
          'max_connections=300',
          'wsrep_on=ON',
          `wsrep_provider=${GALERA_PROVIDER}`,
          'wsrep_cluster_name=grievance',
          `wsrep_cluster_address=gcomm://${addr}`,
          `wsrep_node_address=127.0.0.1:${node.gcomm}`,
          `wsrep_node_name=${node.name}`,
          `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${node.gcomm};ist.recv_addr=127.0.0.1:${node.ist};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"`,
          'wsrep_sst_method=rsync',
          `wsrep_sst_receive_address=127.0.0.1:${node.sst}`,
          'wsrep_sync_wait=1',
          'wsrep_slave_threads=2',
          '',
        ].join('\n'),
      );
    }
    this.chownMysql();
    const first = nodes[0];
    execFileSync('mariadb-install-db', [`--defaults-file=${first.dir}/my.cnf`, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdio: 'ignore' });
    this.chownMysql();
    first.proc = this.spawn(first.name, 'mariadbd', [`--defaults-file=${first.dir}/my.cnf`, '--wsrep-new-cluster']);
    await until(`${first.name} primary`, async () => (await galeraStatus(first)).wsrep_ready === 'ON', 60_000, 300);
    await socketQuery(first, "CREATE USER 'grv'@'127.0.0.1' IDENTIFIED BY 'grv'; GRANT ALL PRIVILEGES ON *.* TO 'grv'@'127.0.0.1'");
    for (const node of nodes.slice(1)) node.proc = this.spawn(node.name, 'mariadbd', [`--defaults-file=${node.dir}/my.cnf`]);
    for (const node of nodes.slice(1)) {
      await until(`${node.name} synced`, async () => (await galeraStatus(node)).wsrep_local_state_comment === 'Synced', 120_000, 300);
    }
    await until(`cluster size ${n}`, async () => Number((await galeraStatus(first)).wsrep_cluster_size) === n, 30_000);
    return { nodes, url: (i, db) => `mysql://grv:grv@127.0.0.1:${nodes[i].port}/${db}` };
  }

  private chownMysql() {
    if (process.getuid?.() !== 0) return;
    execFileSync('chown', [
      '-R',
      'mysql:mysql',
      ...readdirSync(this.dir)
        .filter((d) => d.startsWith('galera-'))
        .map((d) => join(this.dir, d)),
    ]);
  }

  // ---- haproxy and the service -------------------------------------------------------

  /** haproxy in front of `backends` (HTTP ports), health-checking `/readyz?scope=http` every 300 ms. */
  async haproxy(backends: { name: string; port: number }[]): Promise<{ port: number; proc: Proc }> {
    const port = await this.port();
    const cfg = join(this.dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '  maxconn 4000',
        '',
        'defaults',
        '  mode http',
        '  timeout connect 2s',
        '  timeout client 60s',
        '  timeout server 60s',
        // without it a check must answer within `inter` (300 ms): a process merely busy is
        // marked down, and with one process left the balancer answers 503 itself
        '  timeout check 2s',
        // the client address for the per-address limits (TRUST_PROXY=1)
        '  option forwardfor',
        // a connection refused by a process that just went away is tried on another one; a
        // request already sent is never re-sent (it may have been processed)
        '  retries 2',
        '  option redispatch 1',
        '  retry-on conn-failure',
        '',
        'frontend api',
        `  bind 127.0.0.1:${port}`,
        '  default_backend api',
        '',
        'backend api',
        '  balance roundrobin',
        '  option httpchk GET /readyz?scope=http',
        '  http-check expect status 200',
        '  default-server inter 300ms fall 2 rise 2',
        ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check`),
        '',
      ].join('\n'),
    );
    const proc = this.spawn('haproxy', 'haproxy', ['-f', cfg, '-db']);
    await until('haproxy', async () => !(await portFree(port)), 15_000);
    return { port, proc };
  }

  /** A service process (`node build/src/main.js`) with `env`; for an API process, resolves once it is ready. */
  async service(name: string, env: Record<string, string>): Promise<Proc> {
    const p = this.spawn(name, process.execPath, [join(ROOT, 'build', 'src', 'main.js')], { LOG_LEVEL: 'info', ...env });
    const fail = p.exited.then((code) => {
      throw new Error(`${name} exited (${code}):\n${this.tail(p)}`);
    });
    fail.catch(() => undefined);
    if (env.ROLE === 'worker') {
      await Promise.race([fail, until(`${name} jobs ready`, async () => readFileSync(p.log, 'utf8').includes('"jobs ready"'), 90_000, 250)]);
    } else {
      await Promise.race([fail, until(`${name} ready`, async () => (await fetch(`http://127.0.0.1:${env.PORT}/readyz?scope=http`)).status === 200, 90_000, 250)]);
    }
    return p;
  }
}

export interface GaleraNode {
  name: string;
  port: number;
  gcomm: number;
  ist: number;
  sst: number;
  dir: string;
  proc: Proc | null;
}

async function ping(port: number): Promise<boolean> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function info(port: number, section: string): Promise<string> {
  const r = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await r.info(section);
  } finally {
    r.disconnect();
  }
}

async function socketQuery(node: GaleraNode, sql: string) {
  const c = await createConnection({ socketPath: join(node.dir, 'sock'), user: 'root', multipleStatements: true });
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A node's `wsrep_%` status (over its socket). */
export async function galeraStatus(node: GaleraNode): Promise<Record<string, string>> {
  const [rows] = (await socketQuery(node, "SHOW STATUS LIKE 'wsrep_%'")) as unknown as [{ Variable_name: string; Value: string }[]];
  return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
}

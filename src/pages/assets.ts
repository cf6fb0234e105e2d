import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { Context, Next } from 'koa';

/** The `assets/` folder beside `templates/` (works from `src/` and `build/src/`). */
export function assetsDir(): string {
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    const c = join(d, 'assets');
    if (existsSync(join(c, 'app.css'))) return c;
    d = dirname(d);
  }
  throw new Error('assets/ not found');
}

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  url: string;
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The service's own static files (no CDN, no remote font): each served at a name carrying
 * the hash of its content (`/assets/app.3f9c1a2b7d.css`) with a one-year immutable cache,
 * so a changed file is a new URL. Read once at start-up.
 */
export class AssetTable {
  private readonly byUrl = new Map<string, Asset>();
  private readonly byName = new Map<string, Asset>();

  constructor(dir = assetsDir()) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      const body = readFileSync(join(dir, name));
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
      const url = `/assets/${name.slice(0, -extname(name).length)}.${hash}${extname(name)}`;
      const a = { url, body, type, etag: `"${hash}"` };
      this.byUrl.set(url, a);
      this.byName.set(name, a);
    }
  }

  /** The hashed URL of `name` (`app.css` → `/assets/app.<hash>.css`). @throws Error for an unknown asset */
  url(name: string): string {
    const a = this.byName.get(name);
    if (!a) throw new Error(`unknown asset ${name}`);
    return a.url;
  }

  /** koa middleware answering GET/HEAD of the hashed URLs; anything else goes on. */
  middleware() {
    return async (ctx: Context, next: Next) => {
      if (!ctx.path.startsWith('/assets/') || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return next();
      const a = this.byUrl.get(ctx.path);
      if (!a) return next();
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.set('ETag', a.etag);
      ctx.type = a.type;
      if (ctx.get('if-none-match') === a.etag) {
        ctx.status = 304;
        return;
      }
      ctx.body = a.body;
    };
  }
}

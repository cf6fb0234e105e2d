/**
 * A cookie-keeping client for the pages over plain HTTP (no browser): reads the CSRF token
 * out of each form, follows no redirect (a test sees the 303 and its Location).
 */
export class Browserless {
  cookies = new Map<string, string>();
  constructor(readonly base: string) {}
  /** `from`: the page the form was on, sent as the `Referer` a browser sends */
  async req(method: string, path: string, form?: Record<string, string> | [string, string][], from?: string) {
    const headers: Record<string, string> = { accept: 'text/html' };
    if (from) headers.referer = this.base + from;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const r = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    return this.answer(r);
  }
  /** Keeps the cookies an answer sets (Max-Age=0 deletes) and reads its body. */
  private async answer(r: Response) {
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, v] = pair.split('=');
      if (/Max-Age=0/.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    return { status: r.status, headers: r.headers, text: await r.text(), setCookies: r.headers.getSetCookie() };
  }
  /** A multipart form as a browser sends it: the fields in order, then the `file` parts. */
  async multipart(path: string, fields: Record<string, string> | [string, string][], files: [string, Buffer][]) {
    const f = new FormData();
    for (const [k, v] of Array.isArray(fields) ? fields : Object.entries(fields)) f.append(k, v);
    for (const [name, bytes] of files) f.append('file', new Blob([bytes]), name);
    const r = await fetch(this.base + path, { method: 'POST', body: f, redirect: 'manual', headers: { accept: 'text/html', cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    return this.answer(r);
  }
  get(p: string) {
    return this.req('GET', p);
  }
  async csrf(p: string) {
    return /name="_csrf" value="([^"]+)"/.exec((await this.get(p)).text)![1];
  }
  async post(p: string, form: Record<string, string>, from = p) {
    return this.req('POST', p, { _csrf: await this.csrf(from), ...form });
  }
}

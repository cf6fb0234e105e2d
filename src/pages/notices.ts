import type Router from '@koa/router';
import type { PageKit } from './kit';

export function noticePages(_router: Router, _kit: PageKit) {}

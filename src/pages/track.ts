import type Router from '@koa/router';
import type { PageKit } from './kit';

export function trackPages(_router: Router, _kit: PageKit) {}

import type Router from '@koa/router';
import type { PageKit } from '../kit';
import { homePagesForStaff } from './home';
import { ticketPages } from './tickets';
import { oversightPages } from './oversight';
import { adminPages } from './admin';
import { supervisorPages } from './supervisor';
import { reportPages } from './reports';
import { intakePages } from './intake';
import { symposiumPages } from './symposiums';
import { departmentPages } from './department';
import { noticePagesForStaff } from './notices';

/**
 * The staff workbench (issue 10, DESIGN §15) under `/work`: each area registers its pages
 * here, and its menu entries in `nav.ts` (docs/pages.md "Adding a workbench page").
 */
export function workPages(router: Router, kit: PageKit) {
  homePagesForStaff(router, kit);
  const { showTicket } = ticketPages(router, kit);
  oversightPages(router, kit, showTicket);
  adminPages(router, kit);
  supervisorPages(router, kit);
  reportPages(router, kit);
  intakePages(router, kit);
  symposiumPages(router, kit);
  departmentPages(router, kit);
  noticePagesForStaff(router, kit);
}

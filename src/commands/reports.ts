import type { EntityManager } from 'typeorm';
import type { WorkCalendar } from '../domain/calendar';
import { AppError } from '../errors';

/** A rate as an exact fraction (DESIGN §9); `percent` rounded to 2 places, null when the denominator is 0. */
export interface Fraction { numerator: number; denominator: number; percent: number | null }

/** One department's figures over [from, to) (DESIGN §9). */
export interface DepartmentFigures {
  departmentCode: string;
  from: string;
  to: string;
  received: number;
  signedOnTime: Fraction;
  repliedOnTime: Fraction;
  resolved: Fraction;
  satisfaction: Fraction;
  reopenRate: Fraction;
  overdueOpen: number;
  oversightOrders: { level1: number; level2: number; level3: number };
  /** decimal string, working days, or null when nothing was replied */
  averageWorkingDaysToReply: string | null;
  substantiatedIntegrityCases: number;
  vetoed: boolean;
}

/**
 * Computes a department's figures (DESIGN §9). Open integrity reports never count in a
 * department's own figures. (Reporting work.)
 */
export async function departmentFigures(_em: EntityManager, _departmentCode: string, _range: { from: Date; to: Date }, _cal: WorkCalendar, _tz: string, _now: Date): Promise<DepartmentFigures> {
  throw new AppError(501, 'not-implemented', 'reports are not implemented yet');
}

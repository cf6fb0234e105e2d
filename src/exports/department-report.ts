import { stringify } from 'csv-stringify/sync';
import type ExcelJSType from 'exceljs';
import type { DepartmentFigures, Fraction } from '../commands/reports';

/**
 * The department report (统计监测, DESIGN §9) as files: CSV (UTF-8 with a BOM, Windows line
 * ends, so that Excel on Windows reads it) and XLSX, with the Chinese headers of the district's
 * statistics tables, each rate as numerator, denominator and percentage. Used by the API and
 * the reports page alike.
 */

const pct = (f: Fraction) => f.percent;
type Column = { header: string; width: number; value: (f: DepartmentFigures, name: string) => string | number | null };
type RateKey = 'signedOnTime' | 'repliedOnTime' | 'resolved' | 'satisfaction' | 'reopenRate';
/** A rate as three columns: numerator, denominator, percentage. */
const rateColumns = (key: RateKey, numerator: string, denominator: string, percent: string): Column[] => [
  { header: numerator, width: numerator.length * 2 + 2, value: (f) => f[key].numerator },
  { header: denominator, width: denominator.length * 2 + 2, value: (f) => f[key].denominator },
  { header: percent, width: percent.length + 4, value: (f) => pct(f[key]) },
];

/**
 * Columns of the CSV and XLSX exports: Chinese headers as the district's statistics tables
 * use them (统计监测), each rate as numerator, denominator and percentage.
 */
const COLUMNS: Column[] = [
  { header: '部门代码', width: 10, value: (f) => f.departmentCode },
  { header: '部门名称', width: 28, value: (_f, name) => name },
  { header: '受理量', width: 8, value: (f) => f.received },
  ...rateColumns('signedOnTime', '按时签收数', '应签收数', '按时签收率(%)'),
  ...rateColumns('repliedOnTime', '按时办结数', '应办结数', '按时办结率(%)'),
  ...rateColumns('resolved', '已解决数', '答复数', '解决率(%)'),
  ...rateColumns('satisfaction', '满意数', '评价数', '满意率(%)'),
  ...rateColumns('reopenRate', '重办数', '答复总数', '重办率(%)'),
  { header: '超期未办结数', width: 12, value: (f) => f.overdueOpen },
  { header: '一级催办数', width: 10, value: (f) => f.oversightOrders.level1 },
  { header: '二级黄牌督办数', width: 14, value: (f) => f.oversightOrders.level2 },
  { header: '三级红牌督办数', width: 14, value: (f) => f.oversightOrders.level3 },
  { header: '平均办理工作日', width: 14, value: (f) => f.averageWorkingDaysToReply },
  { header: '查实违规问题数', width: 14, value: (f) => f.substantiatedIntegrityCases },
  { header: '一票否决', width: 10, value: (f) => (f.vetoed ? '是' : '否') },
];

/** What a report file needs besides the figures. */
export interface ReportFileInfo {
  from: string;
  to: string;
  asOf: Date;
  tz: string;
  names: Map<string, string>;
}

/** The file names of a report (ASCII fallback and Chinese), without extension. */
export const reportFileNames = (from: string, to: string) => ({ ascii: `department-report_${from}_${to}`, zh: `部门统计_${from}至${to}` });

/** The report as CSV text. */
export function reportCsv(items: DepartmentFigures[], info: ReportFileInfo): string {
  const rows = items.map((f) => COLUMNS.map((c) => c.value(f, info.names.get(f.departmentCode) ?? f.departmentCode) ?? ''));
  return stringify(rows, { bom: true, header: true, columns: COLUMNS.map((c) => c.header), record_delimiter: 'windows' });
}

/** The report as an XLSX workbook (the figures sheet and a sheet saying how they were counted). */
export async function reportXlsx(items: DepartmentFigures[], info: ReportFileInfo): Promise<Buffer> {
  // loaded on the first XLSX (issue 15: exceljs is about 25 MB of resident memory in every process otherwise)
  const ExcelJS = require('exceljs') as typeof ExcelJSType;
  const wb = new ExcelJS.Workbook();
  wb.created = info.asOf;
  const ws = wb.addWorksheet('部门统计', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = COLUMNS.map((c) => ({ header: c.header, width: c.width }));
  ws.getRow(1).font = { bold: true };
  for (const f of items) ws.addRow(COLUMNS.map((c) => c.value(f, info.names.get(f.departmentCode) ?? f.departmentCode) ?? null));
  const about = wb.addWorksheet('说明');
  about.columns = [{ width: 14 }, { width: 60 }];
  about.addRows([
    ['统计起始日', info.from],
    ['统计截止日', info.to],
    ['统计时点', info.asOf.toISOString()],
    ['时区', info.tz],
    ['口径', '受理量按收到时间计入统计期；签收、答复、评价、重办、督办计入当时负责的部门；详见 docs/decisions/reporting.md'],
  ]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

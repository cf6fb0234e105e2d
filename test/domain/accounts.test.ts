import test from 'ava';
import { accountChange, placementProblem, type Placement } from '../../src/domain/accounts';

const cases: [Placement, string | null][] = [
  [{ role: 'admin', departmentCode: null, isHead: false }, null],
  [{ role: 'handler', departmentCode: 'TAX', isHead: true }, null],
  [{ role: 'handler', departmentCode: null, isHead: false }, 'departmentCode:required:400'],
  [{ role: 'intake', departmentCode: 'SAMR', isHead: false }, null],
  [{ role: 'intake', departmentCode: 'SAMR', isHead: true }, 'isHead:head_handler:422'],
  [{ role: 'supervisor', departmentCode: 'DIS', isHead: false }, null],
  [{ role: 'supervisor', departmentCode: 'TAX', isHead: false }, 'departmentCode:supervisor_dis:422'],
  [{ role: 'coordinator', departmentCode: 'SAMR', isHead: false }, null],
  [{ role: 'coordinator', departmentCode: 'DIS', isHead: false }, 'departmentCode:coordinator_samr:422'],
  [{ role: 'owner', departmentCode: null, isHead: false }, 'role:not_staff:422'],
];
for (const [p, expected] of cases) {
  test(`placement ${p.role} in ${p.departmentCode ?? '-'}${p.isHead ? ' (head)' : ''}`, (t) => {
    const r = placementProblem(p);
    t.is(r ? `${r.field}:${r.code}:${r.status}` : null, expected);
  });
}

test('an account change names personal fields only, and gives placement values before and after', (t) => {
  const before = { name: '张三', email: 'a@x.test', phone: null, role: 'handler', departmentCode: 'TAX', isHead: false };
  t.is(accountChange(before, { ...before }), null);
  t.is(accountChange(before, { ...before, phone: undefined }), null, 'undefined and null are the same');
  t.deepEqual(accountChange(before, { ...before, name: '李四', departmentCode: 'HRSS' }), { changed: ['name', 'departmentCode'], from: { departmentCode: 'TAX' }, to: { departmentCode: 'HRSS' } });
});

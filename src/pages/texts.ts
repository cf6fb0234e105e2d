/** Sentences several pages say the same way. */

/** What anonymous means (DESIGN §1): said next to the option wherever it is offered. */
export const ANONYMOUS_MEANS = '匿名提交不保存您的任何身份信息，办理部门无法联系您；只能凭工单编号和查询码查看进度和答复。';

/** The promise of DESIGN §7, in one sentence. */
export const INTEGRITY_PROMISE = '举报只交给区纪检监察机关办理，被举报的部门和人员看不到举报内容，也不知道是谁举报的。';

/** Shown to staff who open an owner form while signed in. */
export const ROLE_STAFF_NOTE = '工作人员代来电群众登记，请使用工作台的登记页面。';

/**
 * The Chinese messages of every error `code` the service can return (issue 9): the problem
 * codes of the API (`code` of a problem+json) and the field codes (`errors[].code`, zod's
 * issue codes and the `params.reason` of the shared schemas). One table, shown by the pages
 * (and by the workbench); `test/pages/messages.test.ts` greps src/ and fails when a code
 * has no message here. Plain language, addressed to the person filling in the form.
 */

/** Problem codes → a sentence for the top of the page. `{minutes}` is filled in for rate limits. */
export const PROBLEM_MESSAGES: Readonly<Record<string, string>> = {
  'validation-failed': '填写的内容有误，请按提示修改。',
  'body-too-large': '提交的内容太多（超过1MB），请删减后再提交。',
  'malformed-body': '提交的数据无法读取，请重新提交。',
  'malformed-json': '提交的数据格式不正确，请重新提交。',
  'unsupported-media-type': '提交的格式不受支持，请通过页面上的表单提交。',
  'method-not-allowed': '不支持这种访问方式。',
  'not-found': '没有找到您要的内容。',
  unauthenticated: '请先登录。',
  forbidden: '您没有权限进行这项操作。',
  'wrong-role': '这个账号不能进行这项操作。',
  'unknown-user': '没有这个账号。',
  'invalid-credentials': '手机号码或密码不正确。',
  'account-exists': '这个手机号码已经注册过账号，请直接登录。',
  'too-many-attempts': '尝试次数过多，请{minutes}分钟后再试。',
  'version-mismatch': '工单刚刚有了新的进展，请刷新页面后再操作。',
  'concurrent-update': '工单同时被其他人更新，请刷新页面后再操作。',
  'illegal-transition': '工单现在的状态不能进行这项操作，请刷新页面查看最新进展。',
  'unknown-action': '不支持这项操作。',
  'idempotency-key-reused': '同一次提交的内容前后不一致，请重新填写提交。',
  'duplicate-source': '这条记录已经导入过了。',
  'conflict-of-interest': '举报不能交给被举报的部门办理。',
  'merge-into-merged': '所选的主工单已经并入另一件工单，请并入那一件。',
  'rating-own-department': '不能为本部门办理的工单登记评价。',
  'callback-owner-account': '这件工单由经营户登录提交，只能由经营户本人评价，不能登记回访评价。',
  'already-returned': '本部门在本轮已经退回过这件工单，不能再次退回（首接负责）。',
  'already-escalated': '这件工单已经在这一级督办了。',
  'extension-pending': '已有一份延期申请在等待审批。',
  'extension-too-late': '延期申请必须在答复期限之前提出。',
  'no-pending-extension': '没有待审批的延期申请。',
  'oversight-not-open': '这份督办单已经关闭。',
  'not-held': '这件举报不在等待转送的状态。',
  'no-destination': '没有设置上级纪委监委的接收邮箱，暂时无法转送。',
  'integrity-report-incomplete': '举报信息不完整，请补全后再提交。',
  'objection-without-notice': '这件异议没有对应的公示。',
  'objection-window-closed': '现在不在异议期内，不能提出异议。',
  'objection-window-open': '异议期还没有结束，暂时不能确认结果。',
  'objections-open': '还有没有办结的异议，暂时不能确认结果。',
  'notice-finalized': '这份公示的结果已经确认，不再受理异议。',
  'already-finalized': '这份公示的结果已经确认过了。',
  'veto-already-revoked': '这项一票否决已经撤销。',
  'import-invalid': '导入的文件有错误，没有导入任何内容。',
  'import-unreadable': '无法读取导入的文件，请检查文件格式。',
  'import-actor-required': '导入时需要指定登记人员。',
  'clock-backwards': '测试时钟不能往回调。',
  'database-conflict': '系统正忙，您这次提交的内容没有保存，请稍后再试。',
  'database-unavailable': '系统暂时无法访问数据库，您这次提交的内容没有保存，请稍后再试。',
  // the same code when the database stopped answering during the commit (src/db-errors.ts isCommitInDoubt)
  'database-unavailable-in-doubt': '系统暂时无法访问数据库，无法确认您这次提交的内容是否已经保存。请稍后再试；如果因此重复提交，工作人员会把重复的诉求合并处理。',
  'internal-error': '系统出了问题，您这次提交的内容没有保存，请稍后再试。',
  'attachment-unavailable': '这个文件暂时无法读取，请稍后再试。',
  'attachments-closed': '这件工单现在不能再添加文件。',
  'empty-file': '上传的文件是空的，请重新选择。',
  'field-too-large': '填写的内容太长，请删减。',
  'file-too-large': '文件太大，请压缩后再上传。',
  'files-not-accepted': '这一步不能上传文件。',
  'metadata-not-removable': '这张照片的位置等信息无法去除，请换一张或截图后上传。',
  'no-files': '请选择要上传的文件。',
  'request-too-large': '一次上传的文件太多或太大，请分几次上传。',
  'too-many-attachments': '这件工单的文件已经太多了。',
  'too-many-files': '一次上传的文件太多了。',
  'too-many-parts': '表单内容太多，请重新提交。',
  'unexpected-part': '表单内容无法识别，请重新提交。',
  'repeated-field': '提交的表单里有一项出现了不止一次，无法确定用哪一个，所以没有保存任何内容。请返回上一页，刷新后重新填写。',
  'unreadable-file': '文件无法读取，请检查后重新上传。',
  'uploads-busy': '现在上传的人太多，请稍后再试。',
  'imports-busy': '现在导入文件的人太多，请过几秒钟再试。',
  'not-staff': '这是经营户自己的账号，只能停用或启用，不能修改或重置密码。',
  'last-admin': '系统至少要保留一个在用的管理员账号。',
  'own-account': '不能对自己的账号进行这项操作；修改自己的密码请用“修改密码”。',
  'password-change-required': '管理员为您重置了密码，请先修改密码。',
  'department-exists': '已经有这个代码的部门了，请换一个代码。',
  'essential-department': '区市场监管局（协调派单）和区纪委监委不能停用。',
  'department-in-use': '这个部门还有未办结的工单、在用的工作人员或分派规则，请先转走后再停用。',
  'category-exists': '已经有这个代码的类别了，请换一个代码。',
  'not-retryable': '这条通知已经发出或正在等待转送，不能重发。',
  // page-only codes
  'csrf-failed': '页面已经过期，为了您的安全，请重新填写提交。',
  'cookies-needed': '请允许浏览器使用 Cookie 后再试。',
  'reset-form-missing': '密码没有重置：提交的表单缺少表单标识。请用下面的表单重新点“重置密码”。',
  'reset-form-unknown': '密码没有重置：提交的表单不是本页面为这个账号生成的，无法识别。请用下面的表单重新点“重置密码”。',
  'reset-form-expired': '密码没有重置：这个表单已经打开超过12小时，已经失效。请用下面的表单重新点“重置密码”。',
  'bad-cursor': '这一页结果已经过期，或者链接已经损坏，无法显示。请从第一页重新查看。',
  'receipt-gone': '这个回执页面只在提交后30分钟内、在提交时用的浏览器里显示，现在已经看不到了。请凭工单编号和查询码查询办理进度；查询码丢了，请拨打12345热线。',
  'file-link-expired': '这个文件的链接已经过期，请重新查询工单后再打开文件。',
};

/**
 * Field codes → the message next to the field. `{max}` is the length limit when the schema
 * gives it. Zod's own issue codes are here too (`invalid_type`, `too_big`, …): the pages
 * validate with the same schemas as the API.
 */
export const FIELD_MESSAGES: Readonly<Record<string, string>> = {
  // zod issue codes
  invalid_type: '请填写这一项。',
  // a form field sent more than once (`title=a&title=b`): which one was meant cannot be told
  repeated: '这一项在提交的表单里出现了不止一次，无法确定用哪一个，所以没有提交。请检查这一项后再提交。',
  too_big: '内容太长或数值太大。',
  too_small: '内容太短或数值太小。',
  invalid_format: '格式不正确。',
  not_multiple_of: '数值不正确。',
  unrecognized_keys: '表单里有无法识别的内容，请刷新页面重新填写。',
  invalid_union: '填写的内容不符合要求。',
  invalid_key: '填写的内容不符合要求。',
  invalid_element: '填写的内容不符合要求。',
  invalid_value: '请从给出的选项中选择。',
  invalid_enum_value: '请从给出的选项中选择。',
  custom: '格式不正确。',
  // reasons of the shared schemas (src/schemas.ts)
  empty: '请填写这一项。',
  too_long: '最多{max}个字，请删减。',
  control_characters: '含有不能保存的特殊字符，请删除后再提交。',
  blank: '不能只填空格。',
  invisible: '只有看不见的字符（如零宽空格），请填写要查找的内容。',
  invalid_credit_code: '统一社会信用代码不正确：应为18位数字和大写字母，请对照营业执照核对。',
  invalid_mobile: '手机号码不正确：应为11位数字，以1开头。',
  login_name: '手机号码或用户名不正确：手机号码是11位数字，用户名只含字母、数字、点、短横线或下划线。',
  mobile_username: '用户名不能是手机号码（手机号码是经营户的登录名），请换一个。',
  invalid_date: '请按“年-月-日”填写日期，例如 2026-11-02。',
  year_out_of_range: '年份不在可受理的范围内。',
  // codes the commands give
  required: '请填写这一项。',
  unknown: '选择的选项不存在，请重新选择。',
  in_future: '日期不能晚于今天。',
  too_old: '日期太早了。',
  anonymous: '匿名提交不保存任何身份信息，请不要填写联系方式。',
  objection_real_name: '异议必须实名提出，不能匿名。',
  web_only: '网上提交只能选择网上渠道。',
  staff_channel: '工作人员登记只能选择热线、座谈会或来信渠道。',
  staff_only: '只有工作人员可以填写这一项。',
  intake_only: '只有热线受理人员可以进行这项操作。',
  kind: '这类工单不能这样办理。',
  not_applicable: '这一项不适用于这类事项。',
  wrong_password: '当前密码不正确。',
  code_format: '验证码是短信里的6位数字。',
  code_invalid: '验证码不正确，请核对短信，或重新获取验证码。',
  code_expired: '验证码已经过期（5分钟内有效），请重新获取。',
  code_locked: '验证码输错次数太多，请重新获取验证码。',
  same_password: '新密码不能和当前密码相同。',
  head_handler: '只有本部门的办理人员可以设为部门负责人。',
  not_staff: '经营户账号不是工作人员账号。',
  window_not_open: '异议期还没有开始。',
  window_closed: '异议期已经结束。',
  revoked: '这个名单条目已经被撤销。',
  mismatch: '信用代码和所选的名单条目不一致。',
  duplicate: '与前面的内容重复。',
  self: '不能选择工单本身。',
  same_department: '工单已经在这个部门，请选择其他部门。',
  not_open: '所选的工单已经办结。',
  discipline: '纪检监察机关只受理违规收费、摊派、索要财物的举报。',
  discipline_only: '举报只能交给纪检监察机关办理。',
  supervisor_dis: '纪检监察人员必须属于区纪委监委。',
  coordinator_samr: '协调办公室人员必须属于区市场监管局。',
  before_from: '结束日期不能早于开始日期。',
  before_publication: '异议期不能早于公示发布日期开始。',
  before_start: '最后一天不能早于第一天。',
  exclusive: '工作日天数和起止日期只能填一种。',
  range_too_long: '时间范围太长，请缩短。',
  too_many: '数量太多。',
  wrong_year: '日期不属于所选的年份。',
  integrity_level_3: '举报的督办直接提交纪检监察机关。',
  locked: '这一项现在不能修改。',
  not_before_reply: '答复之后才能进行这项操作。',
  too_late: '已经超过期限。',
  backwards: '时间不能往回调。',
  reused: '同一次提交的内容前后不一致。',
  invalid: '填写的内容不正确。',
  unsupported: '不支持这种格式。',
  undecodable: '内容无法读取。',
  malformed_json: '数据格式不正确。',
  malformed_csv: '文件不是有效的 CSV 表格。',
  csv_syntax: '文件不是有效的 CSV 表格。',
  missing_column: '表格缺少必需的列。',
  no_rows: '表格里没有数据。',
  too_many_rows: '表格的行数太多。',
  unreadable: '无法读取这个文件。',
  invalid_upload: '上传的文件无法读取。',
  field_count: '这一行的列数和表头不一致。',
  metadata: '这张照片的附加信息无法去除，请换一张。',
  not_accepted: '这一步不能上传文件。',
  too_large: '文件太大。',
  unexpected: '无法识别的内容。',
  unsupported_type: '不支持这种文件：请上传照片（JPG、PNG）、PDF、Word、Excel 或录音。',
  not_importable: '这类事项不能导入。',
};

/**
 * Messages for one field that say more than the code alone (`field` is the schema path:
 * `owner.phone`, `accused.amountYuan`); the code's general message is used otherwise.
 */
export const FIELD_OVERRIDES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  title: { empty: '请用一句话写明您要反映的问题。', invalid_type: '请用一句话写明您要反映的问题。' },
  description: { empty: '请写明具体情况：发生了什么、在哪里、什么时候。', invalid_type: '请写明具体情况：发生了什么、在哪里、什么时候。' },
  category: { invalid_type: '请选择问题的类别；不确定的，请选“其他”。', unknown: '请选择问题的类别；不确定的，请选“其他”。' },
  'owner.name': { empty: '请填写您的姓名。', invalid_type: '请填写您的姓名。', required: '请填写您的姓名。' },
  'owner.phone': { empty: '请填写手机号码，办理部门会用它联系您。', invalid_type: '请填写手机号码，办理部门会用它联系您。', custom: FIELD_MESSAGES.invalid_mobile },
  'owner.email': { invalid_format: '邮箱地址格式不正确，例如 name@example.com；没有可以不填。' },
  'owner.creditCode': { custom: FIELD_MESSAGES.invalid_credit_code },
  owner: { required: '异议必须实名提出：请填写您的姓名和手机号码。' },
  phone: { empty: '请填写手机号码。', invalid_type: '请填写手机号码。', custom: FIELD_MESSAGES.invalid_mobile },
  name: { empty: '请填写您的姓名。', invalid_type: '请填写您的姓名。' },
  email: { invalid_format: '邮箱地址格式不正确，例如 name@example.com；没有可以不填。' },
  creditCode: { custom: FIELD_MESSAGES.invalid_credit_code },
  password: { too_small: '密码至少要8位。', too_big: '密码最多128位。', invalid_type: '请填写密码。' },
  newPassword: { too_small: '新密码至少要8位。', too_big: '新密码最多128位。', invalid_type: '请填写新密码。' },
  currentPassword: { invalid_type: '请填写当前密码。' },
  passwordConfirm: { mismatch: '两次填写的密码不一致。' },
  'accused.departmentCode': { invalid_type: '请选择被举报的部门。', invalid_format: '请选择被举报的部门。', unknown: '请选择被举报的部门。' },
  'accused.demand': { invalid_type: '请选择对方提出的要求。', invalid_value: '请选择对方提出的要求。' },
  'accused.amountYuan': { invalid_format: '金额请只填数字，最多两位小数，例如 300 或 300.50。' },
  'accused.occurredOn': { invalid_type: '请填写事情发生的日期。', empty: '请填写事情发生的日期。', in_future: '发生日期不能晚于今天。' },
  'accused.person': {},
  resultEntryId: { required: '请选择您要提出异议的经营户。', unknown: '请选择您要提出异议的经营户。', invalid_format: '请选择您要提出异议的经营户。' },
  resultNoticeId: { window_closed: '这份公示的异议期已经结束，不能再提出异议。', window_not_open: '这份公示的异议期还没有开始。' },
  rating: { invalid_type: '请选择一项评价。', invalid_value: '请选择一项评价。' },
  message: { empty: '请写明您要补充的内容。', invalid_type: '请写明您要补充的内容。' },
  number: { invalid_format: '工单编号不正确：例如 FL2026000123。', invalid_type: '请填写工单编号。', empty: '请填写工单编号。' },
  code: { invalid_type: '请填写查询码。', empty: '请填写查询码。', too_small: '请填写查询码。' },
};

/**
 * The register and reset pages' `code` is the SMS verification code (the track page's `code`
 * is the access code, `FIELD_OVERRIDES.code`): their own words for a code left empty.
 */
export const VERIFICATION_CODE_MESSAGES: Record<string, Record<string, string>> = {
  code: { invalid_type: '请填写短信验证码。', empty: '请填写短信验证码。', too_small: '请填写短信验证码。' },
};

/** The message for a problem code (`{minutes}` filled in), or the general one. */
/**
 * A problem page's own heading where the generic one ("无法完成操作") would not say what happened:
 * a receipt opened in another browser or after its 30 minutes (410 `receipt-gone`).
 */
export const PROBLEM_TITLES: Readonly<Record<string, string>> = {
  'receipt-gone': '回执只在提交时的浏览器里显示30分钟',
};

/**
 * The sign-in's `invalid-credentials` by what was typed (staff sign in with a username at the
 * owners' entry, docs/pages.md): a mobile number reads as the owners' phone, anything else as a
 * username. Decided by the typed name's shape only, so it says nothing of which accounts exist.
 */
export const SIGN_IN_REFUSED = { phone: '手机号码或密码不正确。', username: '用户名或密码不正确。' } as const;

export function problemMessage(code: string, vars: { minutes?: number } = {}): string {
  const m = PROBLEM_MESSAGES[code] ?? PROBLEM_MESSAGES['validation-failed'];
  return m.replace('{minutes}', String(vars.minutes ?? 15));
}

/** The message next to a field: the field's own, else the code's, with `{max}` filled in. */
export function fieldMessage(field: string, code: string, params: { max?: number } = {}): string {
  const m = FIELD_OVERRIDES[field]?.[code] ?? FIELD_MESSAGES[code] ?? FIELD_MESSAGES.invalid;
  return m.replace('{max}', String(params.max ?? ''));
}

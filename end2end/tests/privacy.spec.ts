import { test, expect, request as apiRequest } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { logIn, openPage, PASSWORD, unzip, watchConsole } from './helpers';

// A child's case seen from outside its team: break-the-glass with a reason,
// then the supervisor's views of it — the grants list, the case's read log,
// and the redacted and full prints.
test('another officer states a reason to open a child\'s case; the supervisor sees the grant and the read, and prints redacted then in full', async ({ page, baseURL }) => {
  const problems = watchConsole(page);

  // The case: one of wang.fang's with a minor, looked up through the API.
  const owner = await apiRequest.newContext({ baseURL });
  expect((await owner.post('/api/v1/auth/login', { data: { username: 'wang.fang', password: PASSWORD } })).ok()).toBe(true);
  const list = await (await owner.get('/api/v1/cases?mine=true&priority_group=minor&per_page=100')).json();
  expect(list.items.length, 'a demo case of wang.fang with a minor').toBeGreaterThan(0);
  const caseId: number = list.items[0].id;
  const detail = await (await owner.get(`/api/v1/cases/${caseId}`)).json();
  expect(detail.protected).toBe(true);
  const fullName: string = detail.applicant.name;
  await owner.dispose();

  // chen.ming is not on the case: the page asks for a reason first.
  await logIn(page, 'chen.ming');
  await openPage(page, `/cases/${caseId}`);
  const glass = page.getByTestId('break-glass');
  await expect(glass).toBeVisible();
  await expect(page.getByText(fullName)).toHaveCount(0);

  // Too short a reason is refused and nothing opens.
  await glass.locator('textarea[name=reason]').fill('看一下');
  await glass.getByRole('button', { name: '说明理由并查阅' }).click();
  await expect(glass.getByRole('alert')).not.toBeEmpty();
  await expect(page.getByTestId('case')).toHaveCount(0);

  const reason = '值班期间当事人来电询问救助进度（e2e）';
  await glass.locator('textarea[name=reason]').fill(reason);
  await glass.getByRole('button', { name: '说明理由并查阅' }).click();
  await expect(page.getByTestId('case')).toBeVisible();
  await expect(page.getByTestId('access-until')).toBeVisible();
  // The grant opens the case in full, for a limited time.
  await expect(page.getByText(fullName).first()).toBeVisible();

  // The supervisor: the grant with its reason, then who read the case.
  await page.context().clearCookies();
  await logIn(page, 'zhang.jian');
  await openPage(page, '/access');
  const grants = page.getByTestId('access-grants');
  await expect(grants).toContainText(reason);
  await expect(grants).toContainText(detail.number);

  await grants.getByRole('link', { name: detail.number }).first().click();
  await expect(page).toHaveURL(new RegExp(`/cases/${caseId}/reads$`));
  const reads = page.getByTestId('case-reads');
  await expect(reads.locator('tbody tr').first()).toBeVisible();
  await expect(reads).toContainText('陈明');
  await expect(reads).toContainText('经授权');

  // The print is redacted by default...
  await openPage(page, `/cases/${caseId}/print`);
  const print = page.getByTestId('case-print');
  await expect(print).toHaveAttribute('data-full', 'false');
  await expect(print).not.toContainText(fullName);

  // ...and in full only with a stated purpose, which the print carries.
  const fullForm = page.getByTestId('full-print');
  await fullForm.locator('summary').click();
  const purpose = '报送县政法委司法救助备案（e2e）';
  await fullForm.locator('textarea[name=purpose]').fill(purpose);
  await fullForm.getByRole('button', { name: '生成完整版' }).click();
  await expect(page.getByTestId('case-print')).toHaveAttribute('data-full', 'true');
  await expect(page.getByTestId('case-print')).toContainText(fullName);
  await expect(page.getByTestId('print-mark')).toContainText(purpose);

  // Both prints are in the read log: one masked, one full.
  await openPage(page, `/cases/${caseId}/reads`);
  await expect(page.getByTestId('case-reads')).toContainText('完整信息');

  // The refused short text is a 422 the browser reports; nothing else.
  expect(problems.filter((p) => !p.includes('status of 422'))).toEqual([]);
});

test('a supervisor exports the case list in full only after stating the purpose', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'zhang.jian');
  await openPage(page, '/stats');

  const form = page.getByTestId('full-export');
  await form.locator('summary').click();
  // Too short a purpose: refused, nothing downloads.
  await form.locator('textarea[name=purpose]').fill('备案');
  await form.getByRole('button', { name: '导出完整版（XLSX）' }).click();
  await expect(form.getByRole('alert')).not.toBeEmpty();

  await form.locator('textarea[name=purpose]').fill('向县财政局报送救助金发放名册（e2e）');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    form.getByRole('button', { name: '导出完整版（XLSX）' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
  const sheet = unzip(readFileSync((await download.path())!)).get('xl/worksheets/sheet1.xml')!;
  // Full ID numbers this time (the ordinary export masks them).
  expect(sheet).toMatch(/\d{17}[\dX]/);

  // The grant and its purpose are on the supervisors' list, used.
  await openPage(page, '/access');
  await expect(page.getByTestId('access-grants')).toContainText('向县财政局报送救助金发放名册（e2e）');
  // The refused short text is a 422 the browser reports; nothing else.
  expect(problems.filter((p) => !p.includes('status of 422'))).toEqual([]);
});

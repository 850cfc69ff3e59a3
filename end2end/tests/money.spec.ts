import { test, expect, Browser } from '@playwright/test';
import { logIn, watchConsole } from './helpers';

async function phone(browser: Browser) {
  const context = await browser.newContext({ ...test.info().project.use });
  return context.newPage();
}

test('a village committee confirms one spending record and queries another on a phone; the officer sees both', async ({ page, browser }) => {
  // 小甸村's committee: the demo's supervised child 李小雨, first installment paid,
  // two spending records waiting for confirmation.
  const problems = watchConsole(page);
  await logIn(page, 'vc.xiaodian');
  await page.getByRole('navigation').getByRole('link', { name: '救助金' }).click();
  await expect(page).toHaveURL(/\/money$/);
  const child = page.getByTestId('child').filter({ hasText: '李*雨' });
  await expect(child).toContainText('2 条待确认');
  await expect(child.getByTestId('ledger')).toContainText('10,000.00 元');
  await expect(child).not.toContainText('寿公刑');
  await expect(child).not.toContainText('寿检司救受');

  // Confirm: one tap.
  const school = child.getByTestId('spending-record').filter({ hasText: '就学' });
  await expect(school.getByTestId('spending-status')).toHaveText('待确认');
  await school.getByTestId('confirm').click();
  await expect(child.getByTestId('spending-record').filter({ hasText: '就学' })).toHaveCount(0);
  await expect(child).toContainText('1 条待确认');

  // Query: a tap, the question, a tap.
  const living = child.getByTestId('spending-record').filter({ hasText: '生活' });
  await living.getByTestId('query').click();
  await living.locator('textarea[name=text]').fill('冬衣票据看不清，请补拍');
  await living.getByRole('button', { name: '发送' }).click();
  await expect(living.getByTestId('spending-status')).toHaveText('有询问');
  await expect(living).toContainText('冬衣票据看不清，请补拍');
  await page.screenshot({ path: 'out/money-village-committee.png', fullPage: true });
  expect(problems).toEqual([]);

  // The case's officer, on a phone, sees both on the case page.
  const officer = await phone(browser);
  const officerProblems = watchConsole(officer);
  await logIn(officer, 'wang.fang');
  await officer.getByRole('navigation').getByRole('link', { name: '案件' }).click();
  await officer.getByTestId('case-list').getByText('李*雨').click();
  await expect(officer).toHaveURL(/\/cases\/\d+$/);
  const money = officer.getByTestId('money');
  await expect(money.getByTestId('spending-record').filter({ hasText: '就学' }).getByTestId('spending-status')).toHaveText('已确认');
  const queried = money.getByTestId('spending-record').filter({ hasText: '生活' });
  await expect(queried.getByTestId('spending-status')).toHaveText('有询问');
  await expect(queried).toContainText('冬衣票据看不清，请补拍');
  await expect(money.getByTestId('ledger')).toContainText('6,500.00 元');
  await expect(officer.getByTestId('timeline')).toContainText('村委会确认使用记录');
  await expect(officer.getByTestId('timeline')).toContainText('村委会对使用记录提出询问');
  await officer.screenshot({ path: 'out/money-officer.png', fullPage: true });
  expect(officerProblems).toEqual([]);
});

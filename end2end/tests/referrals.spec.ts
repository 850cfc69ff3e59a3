import { test, expect, Browser } from '@playwright/test';
import { logIn, watchConsole } from './helpers';

/** Today's date in China time, as a date input wants it. */
function todayInChina(): string {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

async function phone(browser: Browser) {
  const context = await browser.newContext({ ...test.info().project.use });
  return context.newPage();
}

test('an officer records consent and refers; the partner accepts and reports the outcome on a phone; the officer sees it', async ({ page, browser }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');

  // One of the officer's demo cases: no consent yet, so no referral form.
  await page.getByRole('navigation').getByRole('link', { name: '案件' }).click();
  await page.getByTestId('case-list').getByText('张*兰').click();
  await expect(page).toHaveURL(/\/cases\/\d+$/);
  const caseUrl = page.url();
  const section = page.getByTestId('case-referrals');
  await expect(section).toContainText('尚未记录同意，不能转介');

  const consent = page.getByTestId('consent-form');
  await consent.locator('input[name=given_by]').fill('张桂兰');
  await consent.locator('input[name=relationship]').fill('本人');
  await consent.locator('input[name=signed_on]').fill(todayInChina());
  await consent.getByRole('button', { name: '记录同意' }).click();
  await expect(page.getByTestId('consents')).toContainText('张桂兰');

  const refer = page.getByTestId('refer-form');
  await refer.locator('select[name=agency]').selectOption({ label: '县教育局' });
  await refer.locator('select[name=service]').selectOption('education_support');
  await refer.locator('textarea[name=note]').fill('孙子因案辍学在家，需要复学帮扶');
  await refer.locator('input[name=due_on]').fill(todayInChina());
  await refer.getByRole('button', { name: '转介', exact: true }).click();
  const sent = section.getByTestId('referral');
  await expect(sent.getByTestId('referral-state')).toHaveText('待接收');
  await expect(page.getByTestId('timeline')).toContainText('转介至协作单位');
  expect(problems).toEqual([]);

  // The education bureau's liaison, on a phone, sees only what is needed.
  const partner = await phone(browser);
  const partnerProblems = watchConsole(partner);
  await logIn(partner, 'edu.bureau');
  await partner.getByRole('navigation').getByRole('link', { name: '转介' }).click();
  await expect(partner).toHaveURL(/\/referrals$/);
  const item = partner.getByTestId('referral').filter({ hasText: '张桂兰' });
  await expect(item).toContainText('城东村');
  await expect(item).toContainText('孙子因案辍学在家');
  await expect(item).not.toContainText('寿公刑');
  await expect(item).not.toContainText('寿检司救受');
  await item.getByRole('button', { name: '接收' }).click();
  await expect(item.getByTestId('referral-state')).toHaveText('已接收');
  const complete = item.locator('form[data-action=complete]');
  await complete.locator('textarea[name=text]').fill('已联系学校，下周一复学，学杂费全免');
  await complete.getByRole('button', { name: '办结' }).click();
  await expect(item.getByTestId('referral-state')).toHaveText('已办结');
  await expect(item.getByTestId('referral-outcome')).toContainText('已联系学校，下周一复学，学杂费全免');
  await partner.screenshot({ path: 'out/referral-done-partner.png', fullPage: true });
  expect(partnerProblems).toEqual([]);

  // Back on the officer's phone: state done and the outcome, on the case and its timeline.
  await page.goto(caseUrl);
  const seen = page.getByTestId('case-referrals').getByTestId('referral');
  await expect(seen.getByTestId('referral-state')).toHaveText('已办结');
  await expect(seen.getByTestId('referral-outcome')).toContainText('已联系学校，下周一复学，学杂费全免');
  await expect(page.getByTestId('timeline')).toContainText('转介已办结');
  expect(problems).toEqual([]);
});

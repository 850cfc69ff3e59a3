import { test, expect, Browser } from '@playwright/test';
import { logIn, openPage, watchConsole } from './helpers';

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
  const item = partner.getByTestId('referral').filter({ hasText: '张*兰' });
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
  await openPage(page, caseUrl);
  const seen = page.getByTestId('case-referrals').getByTestId('referral');
  await expect(seen.getByTestId('referral-state')).toHaveText('已办结');
  await expect(seen.getByTestId('referral-outcome')).toContainText('已联系学校，下周一复学，学杂费全免');
  await expect(page.getByTestId('timeline')).toContainText('转介已办结');
  expect(problems).toEqual([]);
});

test('an admin keeps the agencies; the officer refers, withdraws and refers elsewhere; the new agency sees it waiting on its home page', async ({ page, browser }) => {
  const problems = watchConsole(page);
  await logIn(page, 'admin');
  await page.getByRole('navigation').getByRole('link', { name: '协作单位' }).click();
  await expect(page).toHaveURL(/\/admin\/agencies$/);

  const add = page.getByTestId('add-agency');
  await add.locator('input[name=name]').fill('县残疾人联合会');
  await add.locator('select[name=kind]').selectOption('other');
  await add.getByLabel('生活救助').check();
  await add.getByLabel('医疗救助').check();
  await add.getByRole('button', { name: '添加协作单位' }).click();
  await expect(page.getByTestId('agencies-notice')).toHaveText('已添加：县残疾人联合会');
  const added = page.locator('[data-agency="县残疾人联合会"]');
  await expect(added).toContainText('其他');
  await expect(added.getByLabel('医疗救助')).toBeChecked();
  await expect(added.getByLabel('法律援助')).not.toBeChecked();

  const legal = page.locator('[data-agency="县法律援助中心"]');
  await legal.getByLabel('心理疏导').check();
  await legal.getByRole('button', { name: '保存服务' }).click();
  await expect(page.getByTestId('agencies-notice')).toHaveText('已保存：县法律援助中心');
  await page.reload();
  await expect(page.locator('[data-agency="县法律援助中心"]').getByLabel('心理疏导')).toBeChecked();
  expect(problems).toEqual([]);

  // The officer, on a phone: consent, a referral to the new agency, then withdrawn.
  const officer = await phone(browser);
  const officerProblems = watchConsole(officer);
  await logIn(officer, 'wang.fang');
  await officer.getByRole('navigation').getByRole('link', { name: '案件' }).click();
  await officer.getByTestId('case-list').getByText('周*强').click();
  await expect(officer).toHaveURL(/\/cases\/\d+$/);
  const consent = officer.getByTestId('consent-form');
  await consent.locator('input[name=given_by]').fill('周国强');
  await consent.locator('input[name=relationship]').fill('本人');
  await consent.locator('input[name=signed_on]').fill(todayInChina());
  await consent.getByRole('button', { name: '记录同意' }).click();
  await expect(officer.getByTestId('consents')).toContainText('周国强');

  const refer = async (agency: string, service: string, need: string) => {
    const form = officer.getByTestId('refer-form');
    await form.locator('select[name=agency]').selectOption({ label: agency });
    await form.locator('select[name=service]').selectOption(service);
    await form.locator('textarea[name=note]').fill(need);
    await form.locator('input[name=due_on]').fill(todayInChina());
    await form.getByRole('button', { name: '转介', exact: true }).click();
  };
  await refer('县残疾人联合会', 'medical_help', '腿伤后续康复治疗');
  const section = officer.getByTestId('case-referrals');
  const first = section.getByTestId('referral').filter({ hasText: '县残疾人联合会' });
  await expect(first.getByTestId('referral-state')).toHaveText('待接收');

  const withdraw = first.locator('form[data-action=withdraw]');
  await withdraw.locator('textarea[name=text]').fill('本人已在县医院康复，改由民政局给予生活救助');
  await withdraw.getByRole('button', { name: '撤回转介' }).click();
  await expect(first.getByTestId('referral-state')).toHaveText('已撤回');
  await expect(first.getByTestId('referral-withdrawn')).toContainText('改由民政局给予生活救助');
  await expect(first.locator('form[data-action=withdraw]')).toHaveCount(0);

  await refer('县民政局', 'living_assistance', '因案生活困难，申请临时救助');
  const second = section.getByTestId('referral').filter({ hasText: '县民政局' });
  await expect(second.getByTestId('referral-state')).toHaveText('待接收');
  await expect(officer.getByTestId('timeline')).toContainText('撤回转介');
  expect(officerProblems).toEqual([]);

  // The civil affairs liaison's home page says a referral is waiting and leads to it.
  const partner = await phone(browser);
  const partnerProblems = watchConsole(partner);
  await logIn(partner, 'civil.affairs');
  const waiting = partner.getByTestId('home-referrals');
  await expect(waiting).toHaveText('1 件新转介待接收');
  await waiting.click();
  await expect(partner).toHaveURL(/\/referrals\?state=sent/);
  await expect(partner.getByTestId('referral')).toHaveCount(1);
  await expect(partner.getByTestId('referral')).toContainText('申请临时救助');
  expect(partnerProblems).toEqual([]);
});

import { test, expect, Browser } from '@playwright/test';
import { logIn, openPage, waitForHydration, watchConsole } from './helpers';

/** Today's date in China time, as a date input wants it. */
function todayInChina(): string {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

async function phone(browser: Browser) {
  const context = await browser.newContext({ ...test.info().project.use });
  return context.newPage();
}

test('an officer logs a lead, accepts it and proposes aid; a supervisor approves; the timeline shows it all', async ({ page, browser }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');

  // Log a lead.
  await page.getByRole('link', { name: '线索' }).click();
  await page.getByRole('link', { name: '登记线索' }).click();
  const form = page.getByTestId('new-lead');
  await form.locator('select[name=channel]').selectOption('hotline_12309');
  await form.locator('input[name=received_on]').fill(todayInChina());
  await form.locator('input[name=reporter]').fill('被害人母亲');
  await form.locator('textarea[name=summary]').fill('未成年被害人受伤住院，家庭无力承担医疗费用。');
  await form.locator('input[name=name]').fill('林小满');
  // A wrong check digit is caught before anything is sent.
  await form.locator('input[name=id_number]').fill('340422201506011231');
  await form.locator('select[name=village_id]').selectOption({ label: '寿春镇 · 小甸村' });
  await form.locator('input[value=minor]').check();
  await form.getByRole('button', { name: '保存线索' }).click();
  await expect(form.locator('[data-field=id_number]')).toHaveText('身份证号校验位不正确');
  await form.locator('input[name=id_number]').fill('');
  await form.getByRole('button', { name: '保存线索' }).click();
  await expect(page).toHaveURL(/\/leads$/);

  // Accept it: a case opens.
  const lead = page.locator('.lead-item', { hasText: '林*满' });
  await expect(lead).toBeVisible();
  await lead.locator('input[name=criminal_case_ref]').fill('寿公刑〔2026〕88号');
  await lead.getByRole('button', { name: '受理', exact: true }).click();
  await expect(page).toHaveURL(/\/cases\/\d+$/);
  const caseUrl = page.url();
  await expect(page.getByTestId('case-state')).toHaveText('已受理');
  await expect(page.getByTestId('case')).toContainText('寿公刑〔2026〕88号');
  const number = await page.getByTestId('case').locator('h1').textContent();
  expect(number).toMatch(/^寿检司救受〔\d{4}〕\d+号$/);

  // Investigate, then propose 20,000 yuan.
  await page.getByRole('button', { name: '开始调查' }).click();
  await expect(page.getByTestId('case-state')).toHaveText('调查中');
  const propose = page.locator('form[data-action=propose]');
  await propose.locator('textarea[name=comment]').fill('家庭因案陷入困难，建议救助两万元。');
  await propose.locator('input[name=amount]').fill('-5');
  await propose.getByRole('button', { name: '提出救助意见' }).click();
  await expect(propose.getByRole('alert')).toHaveText('金额必须大于零');
  await propose.locator('input[name=amount]').fill('20000');
  await propose.getByRole('button', { name: '提出救助意见' }).click();
  await expect(page.getByTestId('case-state')).toHaveText('待审批');
  await expect(page.getByTestId('proposal')).toContainText('20,000.00 元');
  expect(problems).toEqual([]);

  // A supervisor finds it in the inbox and approves it.
  const boss = await phone(browser);
  await logIn(boss, 'zhang.jian');
  await boss.getByRole('link', { name: '审批' }).click();
  await boss.getByTestId('case-list').getByText(number!).click();
  const approve = boss.locator('form[data-action=approve]');
  await approve.locator('textarea[name=comment]').fill('同意救助。');
  await approve.getByRole('button', { name: '批准' }).click();
  await expect(boss.getByTestId('case-state')).toHaveText('已批准');

  // Back on the officer's phone: the whole timeline.
  await openPage(page, caseUrl);
  const timeline = page.getByTestId('timeline').locator('li');
  await expect(timeline).toHaveCount(4);
  await expect(timeline.nth(0)).toContainText('受理');
  await expect(timeline.nth(2)).toContainText('提出救助意见');
  await expect(timeline.nth(3)).toContainText('批准');
  await expect(timeline.nth(3)).toContainText('同意救助。');
  await page.screenshot({ path: 'out/case-approved.png', fullPage: true });
});

test('the case list filters by priority group and village', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'zhang.jian');
  await page.getByRole('link', { name: '审批' }).click();
  const list = page.getByTestId('case-list');
  await page.locator('select[name=state]').selectOption('');
  // The demo's nine cases at least (other tests in this run add more).
  await expect.poll(() => list.locator('li').count()).toBeGreaterThanOrEqual(9);
  await page.locator('select[name=priority_group]').selectOption('veteran');
  await expect(list.locator('li')).toHaveCount(1);
  await expect(list).toContainText('南关村');
  await page.locator('select[name=priority_group]').selectOption('');
  await page.locator('select[name=village_id]').selectOption({ label: '寿春镇 · 小甸村' });
  await expect(list.locator('li', { hasNotText: '小甸村' })).toHaveCount(0);
  await expect(list.locator('li').first()).toContainText('小甸村');
  expect(problems).toEqual([]);
});

test('a guardian applies for a child; the supervisor turns down the green channel; lists show stage clocks and filter by officer and year', async ({ page, browser }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');
  await openPage(page, '/leads/new');
  const form = page.getByTestId('new-lead');
  await form.locator('select[name=channel]').selectOption('case_screening');
  await form.locator('input[name=received_on]').fill(todayInChina());
  await form.locator('input[name=reporter]').fill('案件管理部门');
  await form.locator('textarea[name=summary]').fill('未成年被害人之父在案件中死亡，母亲无业。');
  const child = form.locator('fieldset[data-person="0"]');
  await child.locator('input[name=name]').fill('周小禾');
  await child.locator('select[name=village_id]').selectOption({ label: '正阳关镇 · 老庙村' });
  await child.locator('input[value=minor]').check();
  await form.getByRole('button', { name: '添加人员' }).click();
  const mother = form.locator('fieldset[data-person="1"]');
  await expect(mother.locator('legend')).toHaveText('人员 2');
  await mother.locator('input[name=name]').fill('吴秀兰');
  await mother.locator('select[name=village_id]').selectOption({ label: '正阳关镇 · 老庙村' });
  await mother.locator('input[value=poor_household]').check();
  // A date in the future is refused by the server, with the message next to the date.
  await form.locator('input[name=received_on]').fill('2099-01-01');
  await form.getByRole('button', { name: '保存线索' }).click();
  await expect(form.locator('[data-field=received_on]')).toHaveText('日期不能晚于今天');
  // The browser logs the refused request; that one is expected, nothing else.
  expect(problems).toEqual([expect.stringContaining('422')]);
  problems.length = 0;
  await form.locator('input[name=received_on]').fill(todayInChina());
  await form.getByRole('button', { name: '保存线索' }).click();
  await expect(page).toHaveURL(/\/leads$/);

  // Accept: the child applies, the mother acts for her, and the officer asks for the green channel.
  const lead = page.locator('.lead-item', { hasText: '周*禾' });
  await expect(lead).toContainText('吴*兰');
  await lead.locator('select[name=agent]').selectOption({ label: '吴*兰' });
  await lead.locator('input[name=agent_relationship]').fill('母亲');
  await lead.getByLabel('申请绿色通道').check();
  await lead.getByRole('button', { name: '受理', exact: true }).click();
  await expect(page).toHaveURL(/\/cases\/\d+$/);
  const caseUrl = page.url();
  await expect(page.getByText('代理申请人（母亲）')).toBeVisible();
  await expect(page.locator('.person strong', { hasText: '吴秀兰' })).toBeVisible();
  const stages = page.getByTestId('stages').locator('li');
  await expect(stages).toHaveCount(1);
  await expect(stages.first()).toContainText('已受理');
  await expect(stages.first()).toContainText('进行中');
  await expect(stages.first()).toContainText('时限 4小时');
  const number = await page.getByTestId('case').locator('h1').textContent();
  expect(problems).toEqual([]);

  // The supervisor turns the green channel down, with a reason.
  const boss = await (await browser.newContext({ ...test.info().project.use })).newPage();
  const bossProblems = watchConsole(boss);
  await logIn(boss, 'zhang.jian');
  await openPage(boss, caseUrl);
  const decision = boss.getByTestId('green-channel-decision');
  await decision.locator('input[name=green_channel_reason]').fill('不属于紧急情形');
  await decision.getByRole('button', { name: '不适用绿色通道' }).click();
  await expect(decision).toHaveCount(0);
  const last = boss.getByTestId('timeline').locator('li').last();
  await expect(last).toContainText('不适用绿色通道');
  await expect(last).toContainText('不属于紧急情形');
  await expect(boss.getByTestId('stages').locator('li').first()).toContainText('时限 3天');

  // The list, filtered by officer and year, shows the case with its stage clock.
  await boss.getByRole('link', { name: '审批' }).click();
  await boss.locator('select[name=state]').selectOption('accepted');
  await boss.locator('select[name=officer_id]').selectOption({ label: '王芳' });
  const year = new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear();
  await boss.locator('select[name=year]').selectOption(String(year));
  const list = boss.getByTestId('case-list');
  const item = list.locator('li', { hasText: number! });
  await expect(item).toBeVisible();
  await expect(list.locator('li', { hasNotText: '王芳' })).toHaveCount(0);
  await expect(item.getByTestId('stage-clock')).toContainText('本阶段已');
  await boss.locator('select[name=officer_id]').selectOption({ label: '陈明' });
  await expect(list.locator('li', { hasText: number! })).toHaveCount(0);
  expect(bossProblems).toEqual([]);
});

test('the leads list shows declined leads with their reason and accepted ones with their case', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');
  await openPage(page, '/leads');
  const list = page.getByTestId('lead-list');
  await page.locator('select[name=lead_status]').selectOption('declined');
  await expect(list.locator('li').first()).toBeVisible();
  await expect(list.locator('li', { hasNotText: '不予受理' })).toHaveCount(0);
  await expect(list.getByRole('button', { name: '受理', exact: true })).toHaveCount(0);
  await page.locator('select[name=lead_status]').selectOption('accepted');
  await expect(list.locator('li', { hasNotText: '已受理' })).toHaveCount(0);
  await list.getByRole('link', { name: '查看案件' }).first().click();
  await expect(page).toHaveURL(/\/cases\/\d+$/);
  expect(problems).toEqual([]);
});

test('the lower parts of a case page hydrate after the rest, on the nodes the server sent: what was typed stays and the forms answer', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');
  const mine = await (await page.request.get('/api/v1/cases?mine=true&state=investigating&per_page=1')).json();
  expect(mine.items.length, 'an investigating demo case of wang.fang').toBe(1);

  // Hold the WASM back, as a slow link would, and use the server's HTML first.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.goto(`/cases/${mine.items[0].id}`);
  const visit = page.getByTestId('visit-form');
  const propose = page.locator('form[data-action=propose]');
  await visit.locator('input[name=place]').fill('村委会办公室');
  await propose.locator('textarea[name=comment]').fill('家庭因案陷入困难。');
  await propose.locator('input[name=amount]').fill('-5');
  // Mark the server's nodes: a part rebuilt instead of hydrated would lose the marks.
  await visit.evaluate((form) => { (form as HTMLElement & { serverNode?: boolean }).serverNode = true; });
  await propose.evaluate((form) => { (form as HTMLElement & { serverNode?: boolean }).serverNode = true; });

  release();
  await waitForHydration(page);
  await expect(visit.locator('input[name=place]')).toHaveValue('村委会办公室');
  expect(await visit.evaluate((form) => (form as HTMLElement & { serverNode?: boolean }).serverNode)).toBe(true);
  expect(await propose.evaluate((form) => (form as HTMLElement & { serverNode?: boolean }).serverNode)).toBe(true);
  // What was typed into the proposal before it hydrated is still there, and the
  // form, hydrated in its own task, checks that amount in the browser.
  await expect(propose.locator('textarea[name=comment]')).toHaveValue('家庭因案陷入困难。');
  await expect(propose.locator('input[name=amount]')).toHaveValue('-5');
  await propose.getByRole('button', { name: '提出救助意见' }).click();
  await expect(propose.getByRole('alert')).toHaveText('金额必须大于零');
  expect(problems).toEqual([]);
});

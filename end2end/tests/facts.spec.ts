import { test, expect, request as apiRequest } from '@playwright/test';
import { logIn, openPage, PASSWORD, waitForHydration, watchConsole } from './helpers';

test('an officer edits a case\'s facts offline; a supervisor changed the income meanwhile; the needs merge, the income conflicts and the officer chooses', async ({ page, context, baseURL }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');

  const mine = await (await page.request.get('/api/v1/cases?mine=true&per_page=100')).json();
  const open = mine.items.find((c: { state: string }) => ['accepted', 'investigating'].includes(c.state));
  expect(open, 'an open demo case of wang.fang').toBeTruthy();
  const factsUrl = `/api/v1/cases/${open.id}/facts`;
  const base = (await (await page.request.get(factsUrl)).json()).facts;

  await openPage(page, `/cases/${open.id}`);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await page.reload();
  await waitForHydration(page);
  const section = page.getByTestId('case-facts');
  await expect(page.getByTestId('facts-queue-count')).toHaveText('修改已全部发送');

  // In the village, with no signal.
  await context.setOffline(true);
  await section.getByText('修改家庭情况（可离线）').click();
  const form = page.getByTestId('facts-form');
  await form.locator('input[name=monthly_income_fen]').fill('800');
  await form.locator('textarea[name=needs]').fill('子女学费（e2e）');
  await form.getByRole('button', { name: '保存修改' }).click();
  await expect(page.getByTestId('facts-queue-count')).toHaveText('1 条修改待发送');
  await expect(page.getByTestId('queued-facts-edit')).toHaveAttribute('data-state', 'waiting');

  // Meanwhile at the office a supervisor records another income from the same base.
  const office = await apiRequest.newContext({ baseURL });
  expect((await office.post('/api/v1/auth/login', { data: { username: 'zhang.jian', password: PASSWORD } })).ok()).toBe(true);
  const put = await office.put(`${factsUrl}/${crypto.randomUUID()}`, {
    data: { base, changes: { monthly_income_fen: 150000 } },
  });
  expect(put.status()).toBe(201);

  // Signal returns: the edit is sent, the needs merge, the income waits for a choice.
  await context.setOffline(false);
  await expect(page.getByTestId('facts-queue-count')).toHaveText('修改已全部发送', { timeout: 20_000 });
  await expect(section.locator('dd[data-fact=needs]')).toHaveText('子女学费（e2e）');
  await expect(section.locator('dd[data-fact=monthly_income_fen]')).toContainText('1,500');
  const conflict = page.getByTestId('fact-conflict');
  await expect(conflict).toHaveCount(1);
  await expect(conflict).toHaveAttribute('data-field', 'monthly_income_fen');

  await conflict.locator('button[data-choice=mine]').click();
  await expect(page.getByTestId('fact-conflict')).toHaveCount(0);
  await expect(section.locator('dd[data-fact=monthly_income_fen]')).toContainText('800');
  const after = (await (await page.request.get(factsUrl)).json());
  expect(after.facts.monthly_income_fen).toBe(80000);
  expect(after.conflicts).toEqual([]);
  await office.dispose();

  expect(problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]);
});

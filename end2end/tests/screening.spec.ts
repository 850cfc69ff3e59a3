import { test, expect } from '@playwright/test';
import path from 'node:path';
import { logIn, openPage, watchConsole } from './helpers';

test('an officer imports a case list, sees who is flagged and why, and turns a flag into a lead', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');

  // From the leads page header to the screening page.
  await page.getByRole('link', { name: '线索' }).click();
  await page.getByRole('link', { name: '案件筛查' }).click();
  await expect(page).toHaveURL(/\/screening$/);
  await expect(page.getByRole('heading', { name: '案件管理筛查' })).toBeVisible();

  // Nothing chosen yet: a clear message, nothing sent.
  await page.getByRole('button', { name: '上传并筛查' }).click();
  await expect(page.getByTestId('screening-upload').getByRole('alert')).toHaveText('请先选择文件');

  // Upload the fixture: three rows, the third with a wrong ID check digit.
  await page.locator('input[type=file]').setInputFiles(path.join(__dirname, 'fixtures', 'screening.csv'));
  await page.getByRole('button', { name: '上传并筛查' }).click();
  const result = page.getByTestId('screening-result');
  await expect(result).toContainText('共3行：新发现2人，已在名单中0人，1行有误。');
  await expect(page.getByTestId('row-errors').locator('li')).toHaveText(['第4行：身份证号校验位不正确']);

  // The flags, each reason a badge.
  // Only this file's cases: other tests in the run may add flags of their own.
  const flags = page.getByTestId('flag-list').locator('li.lead-item', { hasText: '寿公刑〔2026〕20' });
  await expect(flags).toHaveCount(2);
  const child = flags.filter({ hasText: '寿公刑〔2026〕201号' });
  await expect(child).toContainText('许*禾');
  await expect(child.getByTestId('reasons').locator('.badge')).toHaveText(['未成年人', '未获赔偿']);
  await expect(flags.filter({ hasText: '寿公刑〔2026〕202号' }).getByTestId('reasons')).toHaveText('残疾');

  await page.screenshot({ path: 'out/screening-flags.png', fullPage: true });

  // One tap: a lead.
  await child.getByRole('button', { name: '生成线索' }).click();
  await expect(child).toContainText('已生成线索');

  // The same file again creates nothing twice.
  await page.getByRole('button', { name: '上传并筛查' }).click();
  await expect(result).toContainText('该文件已导入过');
  await page.reload();
  await expect(page.getByTestId('flag-list').locator('li.lead-item', { hasText: '寿公刑〔2026〕20' })).toHaveCount(1);

  // The lead waits in the list, from the case screening channel, as a minor.
  await openPage(page, '/leads');
  const lead = page.locator('.lead-item', { hasText: '许*禾' });
  await expect(lead).toContainText('案件管理筛查');
  await expect(lead).toContainText('未成年人');
  await page.screenshot({ path: 'out/screening-lead.png', fullPage: true });
  expect(problems).toEqual([]);
});

test('a file whose headings are not recognised asks for its columns, then imports', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');
  await openPage(page, '/screening');

  await page.locator('input[type=file]').setInputFiles(path.join(__dirname, 'fixtures', 'screening-unknown-headings.csv'));
  await page.getByRole('button', { name: '上传并筛查' }).click();
  const form = page.getByTestId('screening-mapping');
  await expect(form).toBeVisible();

  // The required columns are checked before anything is sent.
  await form.getByRole('button', { name: '按此导入' }).click();
  await expect(form.getByRole('alert')).toHaveText('请指定案号列和被害人姓名列');
  await form.locator('select[name=case_ref]').selectOption('编码');
  await form.locator('select[name=victim_name]').selectOption('当事人');
  await form.locator('select[name=id_number]').selectOption('证件');
  await form.getByRole('button', { name: '按此导入' }).click();

  await expect(page.getByTestId('screening-result')).toContainText('共1行：新发现1人');
  const flag = page.getByTestId('flag-list').locator('li.lead-item', { hasText: 'X-301' });
  await expect(flag.getByTestId('reasons')).toHaveText('未成年人');
  expect(problems).toEqual([]);
});

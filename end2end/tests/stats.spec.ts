import { test, expect, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { logIn, unzip, watchConsole } from './helpers';

async function openDashboard(page: Page) {
  await logIn(page, 'zhang.jian');
  await page.getByRole('navigation').getByRole('link', { name: '统计' }).click();
  await expect(page).toHaveURL(/\/stats/);
  await expect(page.getByTestId('stats')).toBeVisible();
}

for (const viewport of [
  { name: 'phone', size: null },
  { name: 'desktop', size: { width: 1280, height: 900 } },
]) {
  test(`a supervisor reads this year's statistics on a ${viewport.name} and downloads them as XLSX`, async ({ page }) => {
    if (viewport.size) await page.setViewportSize(viewport.size);
    const problems = watchConsole(page);
    await openDashboard(page);

    // Figure cards with the change on the year before.
    const handled = page.getByTestId('figure-cases-handled');
    await expect(handled).toContainText('受理案件');
    await expect(handled.locator('.figure-change')).toHaveText(/^(新增|[+-]?\d+\.\d%)$/);
    // Charts are SVG with a title and a data table as their text alternative.
    const chart = page.locator('#chart-channels');
    await expect(chart.locator('svg[role=img] > title')).toHaveText('线索来源');
    await chart.getByText('查看数据表').click();
    await expect(chart.locator('table')).toContainText('12309热线');
    // Nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);

    // A quarter, then a village.
    await page.locator('select[name=period]').selectOption('quarter');
    await expect(page.locator('select[name=quarter]')).toBeVisible();
    await page.locator('select[name=scope]').selectOption('village');
    const village = await page.locator('select[name=scope_id] option', { hasText: '小甸村' }).first().getAttribute('value');
    await page.locator('select[name=scope_id]').selectOption(village!);
    await expect(page.getByTestId('stats')).toContainText('小甸村');
    await page.locator('select[name=scope]').selectOption('county');
    await page.locator('select[name=period]').selectOption('year');
    await page.screenshot({ path: `out/stats-${viewport.name}.png`, fullPage: true });

    // The statistics as XLSX: Chinese headings, the figures shown on the page.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '导出统计（Excel）' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const files = unzip(readFileSync((await download.path())!));
    expect([...files.keys()]).toContain('xl/worksheets/sheet1.xml');
    const sheet = files.get('xl/worksheets/sheet1.xml')!;
    for (const heading of ['类别', '项目', '本期', '去年同期', '同比', '受理案件']) {
      expect(sheet).toContain(heading);
    }
    const shown = (await handled.locator('.figure-value').textContent())!.trim();
    expect(sheet).toMatch(new RegExp(`受理案件</t></is></c><c r="C\\d+"><v>${shown}</v>`));

    // The case list export: ID numbers masked.
    const [cases] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: '导出案件清单（Excel）' }).click(),
    ]);
    const caseSheet = unzip(readFileSync((await cases.path())!)).get('xl/worksheets/sheet1.xml')!;
    expect(caseSheet).toContain('身份证号码');
    expect(caseSheet).not.toMatch(/\d{17}[\dX]/);

    // The printable bulletin.
    await page.getByRole('link', { name: '年度统计公报' }).click();
    await expect(page.getByTestId('bulletin')).toContainText('年度国家司法救助工作统计公报');
    await page.emulateMedia({ media: 'print' });
    await expect(page.getByRole('navigation')).toBeHidden();
    expect(problems).toEqual([]);
  });
}

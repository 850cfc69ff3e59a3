import { expect, Page } from '@playwright/test';

export const PASSWORD = process.env.E2E_PASSWORD ?? 'e2e-demo-password';

/** Collects console errors and warnings, and uncaught exceptions, of a page. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

/** Waits until the WASM bundle has hydrated the page (buttons then respond). */
export async function waitForHydration(page: Page) {
  await page.waitForLoadState('networkidle');
  await expect.poll(() => page.evaluate(() => performance.getEntriesByType('resource')
    .some((r) => r.name.endsWith('.wasm')))).toBe(true);
}

export async function logIn(page: Page, username: string) {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel(/用户名|Username/).fill(username);
  await page.getByLabel(/密码|Password/).fill(PASSWORD);
  await page.getByRole('button', { name: /^(登录|Log in)$/ }).click();
  await expect(page.getByTestId('home')).toBeVisible();
}

import { expect, Page } from '@playwright/test';
import { inflateRawSync } from 'node:zlib';

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

/**
 * Loads a page and waits for its hydration. A page behind the login is a lazy
 * route: it answers taps only once the main module and its own chunk are in,
 * which takes a moment longer than the server-rendered HTML to show.
 */
export async function openPage(page: Page, path: string) {
  await page.goto(path);
  await waitForHydration(page);
}

export async function logIn(page: Page, username: string) {
  await openPage(page, '/login');
  await page.getByLabel(/用户名|Username/).fill(username);
  await page.getByLabel(/密码|Password/).fill(PASSWORD);
  await page.getByRole('button', { name: /^(登录|Log in)$/ }).click();
  // Logging in loads the home page afresh.
  await expect(page.getByTestId('home')).toBeVisible();
  await waitForHydration(page);
}

/** The files of a ZIP archive (read from its central directory). */
export function unzip(bytes: Buffer): Map<string, string> {
  const files = new Map<string, string>();
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(end).toBeGreaterThan(0);
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  for (let i = 0; i < count; i++) {
    const method = bytes.readUInt16LE(at + 10);
    const compressed = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30);
    const comment = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + compressed);
    files.set(name, (method === 8 ? inflateRawSync(data) : data).toString('utf8'));
    at += 46 + nameLength + extra + comment;
  }
  return files;
}

import { test, expect } from '@playwright/test';
import { logIn, openPage, PASSWORD, waitForHydration, watchConsole } from './helpers';

const ROLES = [
  { username: 'wang.fang', role: 'officer', heading: '承办工作' },
  { username: 'zhang.jian', role: 'supervisor', heading: '审批与统计' },
  { username: 'vc.xiaodian', role: 'village_committee', heading: '救助金使用监管', scope: '所属村：小甸村' },
  { username: 'edu.bureau', role: 'partner', heading: '协作转介', scope: '所属单位：县教育局' },
  { username: 'admin', role: 'admin', heading: '系统管理' },
];

for (const r of ROLES) {
  test(`${r.role} logs in on a phone and sees their home page`, async ({ page }) => {
    const problems = watchConsole(page);
    await logIn(page, r.username);
    const home = page.getByTestId('home');
    await expect(home).toHaveAttribute('data-role', r.role);
    await expect(page.getByRole('heading', { name: r.heading, exact: true })).toBeVisible();
    await page.screenshot({ path: `out/home-${r.role}.png` });
    if (r.scope) await expect(page.getByTestId('scope')).toHaveText(r.scope);
    // The bottom navigation is on screen and fits the phone's width.
    const nav = page.getByRole('navigation');
    await expect(nav).toBeVisible();
    const box = await nav.boundingBox();
    const width = page.viewportSize()!.width;
    expect(box!.width).toBeLessThanOrEqual(width);
    expect(box!.y + box!.height).toBeGreaterThan(page.viewportSize()!.height - 5);
    // Reloading renders the same page on the server, then hydrates without complaint.
    await page.reload();
    await waitForHydration(page);
    await expect(home).toBeVisible();
    expect(problems).toEqual([]);
  });
}

test('a wrong password is refused with a message', async ({ page }) => {
  await openPage(page, '/login');
  await page.getByLabel('用户名').fill('wang.fang');
  await page.getByLabel('密码').fill('not-the-password');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('alert')).toHaveText('用户名或密码错误');
  await expect(page).toHaveURL(/\/login$/);
});

test('what was typed into the login form before the page was ready stays, and logs in', async ({ page }) => {
  const problems = watchConsole(page);
  // Hold the WASM back, as a slow link would, and type into the server's HTML.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => { await held; await route.continue(); });
  await page.goto('/login');
  await page.getByLabel('用户名').fill('wang.fang');
  await page.getByLabel('密码').fill(PASSWORD);
  release();
  await waitForHydration(page);
  // Switching the language proves the page hydrated; the typed text stayed.
  await page.getByTestId('lang-switch').click();
  await expect(page.getByLabel('Username')).toHaveValue('wang.fang');
  await expect(page.getByLabel('Password')).toHaveValue(PASSWORD);
  // The script sends it, through the API.
  const sent = page.waitForRequest('**/api/v1/auth/login');
  await page.getByRole('button', { name: 'Log in' }).click();
  await sent;
  await expect(page.getByTestId('home')).toBeVisible();
  expect(problems).toEqual([]);
});

test.describe('with scripts off', () => {
  test.use({ javaScriptEnabled: false });

  test('the login form still logs in, and a wrong password says why', async ({ page }) => {
    await page.goto('/login');
    await page.getByLabel('用户名').fill('wang.fang');
    await page.getByLabel('密码').fill('not-the-password');
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page).toHaveURL(/\/login\?error=invalid_credentials$/);
    await expect(page.getByRole('alert')).toHaveText('用户名或密码错误');
    await page.getByLabel('用户名').fill('wang.fang');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByTestId('home')).toHaveAttribute('data-role', 'officer');
  });
});

test('logging out returns to the login page, and pages then need a login', async ({ page }) => {
  await logIn(page, 'wang.fang');
  await page.getByRole('button', { name: '退出' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await openPage(page, '/');
  await expect(page).toHaveURL(/\/login$/);
});

test('the language switches to English and back, and the choice survives a reload', async ({ page }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await page.getByTestId('lang-switch').click();
  await expect(page.getByRole('heading', { name: 'Case work' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Case work' })).toBeVisible();
  await page.getByTestId('lang-switch').click();
  await expect(page.getByRole('heading', { name: '承办工作' })).toBeVisible();
  expect(problems).toEqual([]);
});

test('the admin adds a village committee account on a phone, which can then log in', async ({ page, browser }) => {
  await logIn(page, 'admin');
  await page.getByRole('link', { name: '管理用户' }).click();
  await expect(page.getByTestId('user-list')).toContainText('wang.fang');
  const form = page.getByTestId('add-user');
  await form.getByLabel('用户名').fill('vc.laomiao');
  await form.getByLabel('姓名').fill('老庙村村委会');
  await form.locator('select[name=role]').selectOption('village_committee');
  await form.locator('select[name=village_id]').selectOption({ label: '正阳关镇 · 老庙村' });
  await form.getByLabel('初始密码').fill('laomiao-password');
  await form.getByRole('button', { name: '添加用户' }).click();
  await expect(page.getByRole('status')).toHaveText('已添加用户 vc.laomiao');
  await expect(page.locator('[data-username="vc.laomiao"]')).toContainText('老庙村');

  const other = await browser.newContext({ ...test.info().project.use });
  const phone = await other.newPage();
  await openPage(phone, '/login');
  await phone.getByLabel('用户名').fill('vc.laomiao');
  await phone.getByLabel('密码').fill('laomiao-password');
  await phone.getByRole('button', { name: '登录' }).click();
  await expect(phone.getByTestId('scope')).toHaveText('所属村：老庙村');
  await other.close();
});

test.describe('on a wide screen', () => {
  test.use({ viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false });

  test('the navigation is a side bar', async ({ page }) => {
    const problems = watchConsole(page);
    await logIn(page, 'zhang.jian');
    const box = await page.getByRole('navigation').boundingBox();
    expect(box!.x).toBe(0);
    expect(box!.width).toBeLessThan(260);
    expect(box!.height).toBeGreaterThan(700);
    await expect(page.getByRole('link', { name: '审批' })).toBeVisible();
    expect(problems).toEqual([]);
  });
});

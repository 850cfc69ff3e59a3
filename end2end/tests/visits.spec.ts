import { test, expect } from '@playwright/test';
import path from 'path';
import { logIn, openPage, waitForHydration, watchConsole } from './helpers';

// A 32×24 grey baseline JPEG written byte by byte for this test (161 bytes).
const PHOTO = path.join(__dirname, 'fixtures', 'visit-photo.jpg');
const PEOPLE_MET = '申请人母亲（e2e）';

type Sent = { url: string; contentType: string; body: Buffer | null };

test('an officer records two visits offline with photos; they survive a reload, sync once, and a replay stores nothing twice', async ({ page, context }) => {
  const problems = watchConsole(page);
  await logIn(page, 'wang.fang');

  // One of her own cases that is still open.
  const mine = await (await page.request.get('/api/v1/cases?mine=true&per_page=100')).json();
  const open = mine.items.find((c: { state: string }) => ['accepted', 'investigating'].includes(c.state));
  expect(open, 'an open demo case of wang.fang').toBeTruthy();
  const visitsUrl = `/api/v1/cases/${open.id}/visits`;
  const before = (await (await page.request.get(visitsUrl)).json()).visits.length;

  await openPage(page, `/cases/${open.id}`);
  // The service worker takes the page over; the next load goes through it and is kept.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await page.reload();
  await waitForHydration(page);
  await expect(page.getByTestId('visit-queue-count')).toHaveText('全部已发送');

  // Every write the phone sends, to replay it afterwards.
  const sent: Sent[] = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT' && r.url().includes('/api/v1/')) {
      sent.push({ url: r.url(), contentType: r.headers()['content-type'] ?? '', body: r.postDataBuffer() });
    }
  });

  await context.setOffline(true);
  for (const [kind, place] of [['home_visit', '正阳村三组申请人家中'], ['neighbour_interview', '正阳村三组邻居家']]) {
    const form = page.getByTestId('visit-form');
    await form.locator('select[name=kind]').selectOption(kind);
    await form.locator('input[name=place]').fill(place);
    await form.locator('input[name=people_met]').fill(PEOPLE_MET);
    await form.locator('input[name=household_members]').fill('4');
    await form.locator('input[name=monthly_income]').fill('1200.50');
    await form.locator('textarea[name=needs]').fill('医疗费用');
    await form.locator('input[name=photos]').setInputFiles(PHOTO);
    // The person visited signs on the screen.
    const canvas = form.locator('canvas[data-visit-signature]');
    await canvas.scrollIntoViewIfNeeded();
    const pad = await canvas.boundingBox();
    if (!pad) throw new Error('no signature pad');
    await page.mouse.move(pad.x + 20, pad.y + 20);
    await page.mouse.down();
    await page.mouse.move(pad.x + 140, pad.y + 60, { steps: 8 });
    await page.mouse.up();
    await form.getByRole('button', { name: '保存走访' }).click();
    await expect(form.locator('input[name=place]')).toHaveValue('');
  }
  const queue = page.getByTestId('visit-queue');
  await expect(page.getByTestId('visit-queue-count')).toHaveText('2 条待发送');
  await expect(queue.getByTestId('queued-visit')).toHaveCount(2);
  await expect(queue).toContainText('离线：联网后自动发送');

  // Reloading with no network keeps the page and the queue.
  await page.reload();
  await expect(page.getByTestId('visit-queue-count')).toHaveText('2 条待发送');
  await expect(queue.getByTestId('queued-visit')).toHaveCount(2);
  await expect(queue.getByTestId('queued-visit').first()).toHaveAttribute('data-state', 'waiting');
  expect(sent).toHaveLength(0);

  // The network returns: the queue empties and the visits appear on the case.
  await context.setOffline(false);
  await expect(page.getByTestId('visit-queue-count')).toHaveText('全部已发送', { timeout: 20_000 });
  await expect(page.getByTestId('visit-list').getByTestId('visit')).toHaveCount(before + 2);
  await expect(page.getByTestId('visit-list').getByTestId('visit-file')).toHaveCount(4);

  const check = async () => {
    const body = await (await page.request.get(visitsUrl)).json();
    const ours = body.visits.filter((v: { people_met: string }) => v.people_met === PEOPLE_MET);
    expect(ours).toHaveLength(2);
    for (const v of ours) {
      expect(v.findings.monthly_income_fen).toBe(120050);
      const kinds = v.files.map((f: { kind: string }) => f.kind).sort();
      expect(kinds).toEqual(['photo', 'signature']);
      const photo = v.files.find((f: { kind: string }) => f.kind === 'photo');
      expect(photo.content_type).toBe('image/jpeg');
    }
    return ours;
  };
  const ours = await check();

  // Replay the whole sync: every PUT again, byte for byte. Nothing new is stored.
  // Two visits, each with a photo and a signature: six records under six ids.
  expect(new Set(sent.map((r) => new URL(r.url).pathname)).size).toBe(6);
  for (const request of sent) {
    let body = request.body;
    if (body === null) {
      // A blob body is not always visible to the test: send the stored bytes under the same id.
      const fileUrl = new URL(request.url).pathname;
      body = await (await page.request.get(fileUrl)).body();
    }
    const response = await page.request.put(request.url, { data: body, headers: { 'content-type': request.contentType } });
    expect(response.status(), request.url).toBe(200);
  }
  const again = await check();
  expect(again.map((v: { id: string }) => v.id).sort()).toEqual(ours.map((v: { id: string }) => v.id).sort());

  // Going offline makes the browser log failed requests; nothing else may go wrong.
  expect(problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]);
});

test('the service worker is registered only once the page has hydrated, so its precaching never competes with the page', async ({ page }) => {
  // Hold the main module back: until it arrives the page cannot hydrate.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/pkg/jiuzhu.wasm', async (route) => { await held; await route.continue(); });
  const registered = () => page.evaluate(async () => (await navigator.serviceWorker.getRegistration()) !== undefined);

  await page.goto('/login');
  await page.waitForLoadState('load');
  await page.waitForTimeout(1500);
  expect(await registered()).toBe(false);

  release();
  await waitForHydration(page);
  await expect.poll(registered).toBe(true);
});

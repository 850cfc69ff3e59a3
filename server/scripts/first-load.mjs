// The first-load transfer of a page as a phone's browser receives it: every
// response Chromium takes in until the network goes quiet (HTML, styles,
// scripts, the main WASM module and whatever chunks the page then imports),
// counted as sent on the wire (compressed body plus headers). The service
// worker is blocked: its precaching of the other pages happens after the page
// is usable and is not part of what the officer waits for.
//
//   node server/scripts/first-load.mjs http://127.0.0.1:3000 /login [cookie]
//
// Prints one line per response and a total; used by bench-http.sh.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../end2end/package.json'));
const { chromium } = require('@playwright/test');

const [base, pagePath, cookie] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ serviceWorkers: 'block' });
if (cookie) {
  const [name, ...value] = cookie.split('=');
  await context.addCookies([{ name, value: value.join('='), url: base }]);
}
const page = await context.newPage();
const responses = [];
page.on('requestfinished', async (request) => {
  responses.push(
    request.sizes().then((sizes) => ({
      url: request.url().replace(base, ''),
      bytes: sizes.responseBodySize + sizes.responseHeadersSize,
    })),
  );
});
await page.goto(base + pagePath, { waitUntil: 'networkidle' });
const rows = await Promise.all(responses);
await browser.close();

let total = 0;
for (const { url, bytes } of rows) {
  console.log(`${url.padEnd(60)} ${String(bytes).padStart(8)} bytes`);
  total += bytes;
}
console.log(`${'total'.padEnd(60)} ${String(total).padStart(8)} bytes (${Math.round(total / 1024)} KB)`);

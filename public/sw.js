// Jiuzhu's service worker: the app shell and built assets for use with no
// network, the officer's case pages (network first, the last copy when
// offline), the offline queues' scripts, and visit photos (they never change under their id).
//
// The server replaces the build tag below with a digest of the built front
// end when it serves this file, so each deploy is a new worker: it installs
// the new assets under a new cache name and deletes the old ones.
'use strict';

const BUILD = '__JIUZHU_BUILD__';
const SHELL = `jiuzhu-shell-${BUILD}`;
const PAGES = 'jiuzhu-pages';
const FILES = 'jiuzhu-visit-files';

// Every file of the built front end (`pkg/`): the main module, the chunks that
// `--split` cut off it (the pages), the loader script and the styles. The server
// writes the list in place of the comment, so a page never seen online still
// works offline.
const PKG_URLS = [/*__JIUZHU_PKG_URLS__*/];

const SHELL_URLS = [
  ...PKG_URLS,
  '/queue.js',
  '/visits.js',
  '/facts.js',
  '/manifest.webmanifest',
  '/icons/icon.svg',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // One by one: a file this build does not have must not stop the install.
    const add = (url) => cache.add(new Request(url, { cache: 'reload' })).catch(() => {});
    // The shell at once, then the pages' splits and shared chunks (a handful of
    // files of up to ~200 KB) four at a time, so that precaching leaves the
    // network to the page in front of the officer, whose own files are
    // fetched through the worker meanwhile.
    const chunks = SHELL_URLS.filter((url) => url.endsWith('.wasm') && url !== '/pkg/jiuzhu.wasm');
    await Promise.all(SHELL_URLS.filter((url) => !chunks.includes(url)).map(add));
    for (let i = 0; i < chunks.length; i += 4) {
      await Promise.all(chunks.slice(i, i + 4).map(add));
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    const previous = names.filter((n) => n.startsWith('jiuzhu-shell-') && n !== SHELL);
    await Promise.all(previous.map((n) => caches.delete(n)));
    // Pages rendered by an older build would hydrate with the new assets: drop them
    // (they are fetched again while online).
    if (previous.length > 0) await caches.delete(PAGES);
    await self.clients.claim();
  })());
});

function isShellAsset(url) {
  return url.pathname.startsWith('/pkg/') || url.pathname.startsWith('/icons/')
    || url.pathname === '/queue.js' || url.pathname === '/visits.js' || url.pathname === '/facts.js' || url.pathname === '/manifest.webmanifest';
}

async function cacheFirst(cacheName, request) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function page(request) {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    // Only the logged-in page itself, never a redirect to the login page.
    if (response.ok && !response.redirected && response.type === 'basic') {
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const hit = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
    if (hit) return hit;
    const home = await cache.match('/');
    if (home) return home;
    throw error;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (/^\/api\/v1\/visits\/[^/]+\/files\/[^/]+$/.test(url.pathname)) {
    event.respondWith(cacheFirst(FILES, request));
  } else if (url.pathname.startsWith('/api/') || url.pathname === '/sw.js') {
    // The API is always asked; the queue in the page handles being offline.
  } else if (isShellAsset(url)) {
    event.respondWith(cacheFirst(SHELL, request));
  } else if (request.mode === 'navigate') {
    event.respondWith(page(request));
  }
});

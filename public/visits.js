// Jiuzhu: field visits that work offline.
//
// - Registers the service worker (/sw.js), which keeps the app shell, the
//   built assets and the officer's case pages for use with no network.
// - Takes over the visit form on a case page: photos are scaled down on the
//   phone (long side ~1600 px, JPEG), the signature is drawn on a canvas, and
//   the whole record is kept in IndexedDB under ids made on the phone.
// - Sends the queue whenever the network is there: each record is a PUT to
//   its own id, so a retry or a replay never stores a second copy. A record
//   the server refuses stays on the phone with the reason, until the officer
//   deletes it.
//
// Every word shown comes from the page (data-t-* attributes rendered from
// app/locales/), so this file holds no interface text.
(() => {
  'use strict';

  const DB_NAME = 'jiuzhu-visits';
  const STORE = 'queue';
  const PAGES_CACHE = 'jiuzhu-pages';
  const WARM_EVERY_MS = 10 * 60 * 1000;
  const WARM_DELAY_MS = 5000;

  // ---- Service worker ---------------------------------------------------------

  // Installing the worker precaches every built file, a megabyte and more of
  // WASM: on a slow link that must not compete with the page's own module, so
  // the worker is registered once the page has hydrated (the hydration script
  // announces it), or a while after load should that never come.
  if ('serviceWorker' in navigator) {
    let registered = false;
    const registerWorker = () => {
      if (registered) return;
      registered = true;
      navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
    };
    addEventListener('jiuzhu:hydrated', registerWorker, { once: true });
    addEventListener('load', () => setTimeout(registerWorker, 15000), { once: true });
  }

  // On the login page nobody is logged in: forget the cached case pages
  // (the queue stays — it holds work not yet sent).
  if (location.pathname === '/login' && 'caches' in window) {
    caches.delete(PAGES_CACHE).catch(() => {});
    caches.delete('jiuzhu-visit-files').catch(() => {});
    try { localStorage.removeItem('jiuzhu-pages-warmed'); } catch (_) { /* private mode */ }
  }

  /** Keeps the officer's assigned cases readable offline. */
  async function warmCasePages() {
    if (!navigator.onLine || !('caches' in window) || location.pathname === '/login') return;
    let last = 0;
    try { last = Number(localStorage.getItem('jiuzhu-pages-warmed') || 0); } catch (_) { /* ignore */ }
    if (Date.now() - last < WARM_EVERY_MS) return;
    // Only officers have cases of their own (asking otherwise would be refused).
    const me = await fetch('/api/v1/auth/me', { credentials: 'same-origin' });
    if (!me.ok || (await me.json()).role !== 'officer') return;
    const response = await fetch('/api/v1/cases?mine=true&per_page=100', { credentials: 'same-origin' });
    if (!response.ok) return;
    const page = await response.json();
    const cache = await caches.open(PAGES_CACHE);
    const urls = ['/', '/cases', '/follow-ups'].concat(page.items.map((c) => `/cases/${c.id}`));
    for (const url of urls) {
      try {
        const r = await fetch(url, { credentials: 'same-origin' });
        if (r.ok && !r.redirected) await cache.put(url, r);
      } catch (_) { return; }
    }
    try { localStorage.setItem('jiuzhu-pages-warmed', String(Date.now())); } catch (_) { /* ignore */ }
  }

  // ---- IndexedDB queue (public/queue.js) ----------------------------------------

  const { openQueue, failure, text } = window.JiuzhuQueue;
  const queue = openQueue(DB_NAME, STORE, (store) => store.createIndex('savedAt', 'savedAt'));
  const putRecord = queue.put;
  const deleteRecord = queue.delete;
  const getRecord = queue.get;
  const allRecords = queue.all;

  // ---- Sending ------------------------------------------------------------------

  let syncing = false;
  let syncAgain = false;

  /** Sends one record and its files. Returns true when all of it is stored. */
  async function sendRecord(record) {
    record.state = 'sending';
    await putRecord(record);
    render();
    try {
      let response = await fetch(`/api/v1/cases/${record.caseId}/visits/${record.id}`, {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(record.body),
      });
      if (!response.ok) return settle(record, await failure(response));
      for (const file of record.files) {
        if (file.sent) continue;
        response = await fetch(`/api/v1/visits/${record.id}/files/${file.id}?kind=${file.kind}`, {
          method: 'PUT',
          credentials: 'same-origin',
          headers: { 'content-type': file.blob.type || 'application/octet-stream' },
          body: file.blob,
        });
        if (!response.ok) return settle(record, await failure(response));
        file.sent = true;
        await putRecord(record);
      }
      await deleteRecord(record.id);
      return true;
    } catch (_) {
      // The network went away mid-way: try again later, from where it stopped.
      return settle(record, { kind: 'retry', message: '' });
    }
  }

  async function settle(record, outcome) {
    record.state = outcome.kind === 'refused' ? 'refused' : 'waiting';
    record.reason = outcome.kind === 'retry' ? '' : outcome.message;
    record.needsLogin = outcome.kind === 'login';
    record.attempts = (record.attempts || 0) + 1;
    await putRecord(record);
    return false;
  }

  /** Sends every waiting record, oldest first. Refused ones wait for "retry". */
  async function sync() {
    if (syncing) { syncAgain = true; return; }
    if (!navigator.onLine) { render(); return; }
    syncing = true;
    let sent = 0;
    try {
      for (const record of await allRecords()) {
        if (record.state === 'refused') continue;
        if (!navigator.onLine) break;
        if (await sendRecord(record)) sent += 1;
        else if (record.needsLogin) break;
      }
    } finally {
      syncing = false;
      render();
      if (sent > 0) window.dispatchEvent(new CustomEvent('jiuzhu-visits-synced'));
      if (syncAgain) { syncAgain = false; sync(); }
    }
  }

  // ---- The queue box --------------------------------------------------------------

  function kindLabel(box, kind) {
    for (const pair of (box.dataset.tKinds || '').split('|')) {
      const [k, label] = pair.split('=');
      if (k === kind) return label;
    }
    return kind;
  }

  async function render() {
    const boxes = document.querySelectorAll('[data-visit-queue]');
    if (boxes.length === 0) return;
    let records;
    try { records = await allRecords(); } catch (_) { return; }
    for (const box of boxes) {
      const caseId = Number(box.dataset.caseId);
      const mine = records.filter((r) => r.caseId === caseId);
      const pending = records.filter((r) => r.state !== 'refused').length;
      box.replaceChildren();
      const head = document.createElement('p');
      head.className = 'queue-count';
      head.dataset.testid = 'visit-queue-count';
      head.dataset.count = String(pending);
      head.textContent = pending > 0 ? text(box, 'tWaiting', { count: pending }) : text(box, 'tEmpty');
      box.append(head);
      if (pending > 0 && !navigator.onLine) {
        const offline = document.createElement('p');
        offline.className = 'muted';
        offline.textContent = text(box, 'tOffline');
        box.append(offline);
      }
      if (mine.length === 0) continue;
      const list = document.createElement('ul');
      list.className = 'queue';
      for (const r of mine) {
        const li = document.createElement('li');
        li.dataset.testid = 'queued-visit';
        li.dataset.state = r.state;
        const what = document.createElement('div');
        what.textContent = `${kindLabel(box, r.body.kind)} · ${new Date(r.body.visited_at).toLocaleString()} · ${r.body.place}`;
        const state = document.createElement('div');
        state.className = r.state === 'refused' ? 'error' : 'muted';
        state.dataset.testid = 'queued-visit-state';
        if (r.state === 'refused') state.textContent = text(box, 'tStateRefused', { reason: r.reason });
        else if (r.needsLogin) state.textContent = text(box, 'tLogin');
        else state.textContent = text(box, r.state === 'sending' ? 'tStateSending' : 'tStateWaiting');
        li.append(what, state);
        if (r.state !== 'sending') {
          const retry = document.createElement('button');
          retry.type = 'button';
          retry.textContent = text(box, 'tRetry');
          retry.addEventListener('click', async () => {
            const fresh = await getRecord(r.id);
            if (!fresh) return;
            fresh.state = 'waiting';
            fresh.reason = '';
            await putRecord(fresh);
            sync();
          });
          li.append(retry);
        }
        if (r.state === 'refused') {
          const discard = document.createElement('button');
          discard.type = 'button';
          discard.textContent = text(box, 'tDiscard');
          discard.addEventListener('click', async () => {
            if (!window.confirm(text(box, 'tConfirmDiscard'))) return;
            await deleteRecord(r.id);
            render();
          });
          li.append(discard);
        }
        list.append(li);
      }
      box.append(list);
    }
  }

  // ---- The form -------------------------------------------------------------------

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** "1234.5" yuan → 123450 fen, in integers only; null when empty or not money. */
  function yuanToFen(value) {
    const t = value.trim();
    if (t === '') return null;
    const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) return undefined;
    return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
  }

  function intOrNull(value) {
    const t = value.trim();
    return t === '' ? null : Number.parseInt(t, 10);
  }

  function textOrNull(value) {
    const t = value.trim();
    return t === '' ? null : t;
  }

  function localNow() {
    const d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  /** Scales a photo down on the phone to JPEG with its long side at most `longSide`. */
  async function downscale(file, longSide) {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      const scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82));
      return blob || file;
    } catch (_) {
      // Not decodable here: send it as it is and let the server judge it.
      return file;
    }
  }

  const signatures = new WeakMap();

  function setUpSignature(canvas) {
    if (signatures.has(canvas)) return;
    const state = { drawn: false, drawing: false };
    signatures.set(canvas, state);
    const ctx = canvas.getContext('2d');
    ctx.lineWidth = 4;
    ctx.lineCap = 'round';
    ctx.strokeStyle = '#111';
    const point = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * (canvas.width / r.width), (e.clientY - r.top) * (canvas.height / r.height)];
    };
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => {
      state.drawing = true;
      canvas.setPointerCapture(e.pointerId);
      const [x, y] = point(e);
      ctx.beginPath();
      ctx.moveTo(x, y);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!state.drawing) return;
      const [x, y] = point(e);
      ctx.lineTo(x, y);
      ctx.stroke();
      state.drawn = true;
    });
    const stop = () => { state.drawing = false; };
    canvas.addEventListener('pointerup', stop);
    canvas.addEventListener('pointercancel', stop);
  }

  function clearSignature(canvas) {
    canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    const state = signatures.get(canvas);
    if (state) state.drawn = false;
  }

  function prepareForms() {
    for (const form of document.querySelectorAll('form[data-visit-form]')) {
      const when = form.elements.namedItem('visited_at');
      if (when && !when.value) when.value = localNow();
      const canvas = form.querySelector('canvas[data-visit-signature]');
      if (canvas) setUpSignature(canvas);
    }
  }

  async function saveVisit(form) {
    const f = form.elements;
    const error = form.querySelector('[data-visit-form-error]');
    error.textContent = '';
    const income = yuanToFen(f.namedItem('monthly_income').value);
    if (income === undefined) {
      f.namedItem('monthly_income').focus();
      return;
    }
    const lat = f.namedItem('latitude').value;
    const body = {
      kind: f.namedItem('kind').value,
      visited_at: new Date(f.namedItem('visited_at').value).getTime(),
      place: f.namedItem('place').value.trim(),
      location: lat === '' ? null : {
        latitude: Number(lat),
        longitude: Number(f.namedItem('longitude').value),
        accuracy_m: f.namedItem('accuracy_m').value === '' ? null : Number(f.namedItem('accuracy_m').value),
      },
      people_met: f.namedItem('people_met').value.trim(),
      findings: {
        household_members: intOrNull(f.namedItem('household_members').value),
        monthly_income_fen: income,
        dependants: intOrNull(f.namedItem('dependants').value),
        hardship: textOrNull(f.namedItem('hardship').value),
        needs: textOrNull(f.namedItem('needs').value),
      },
      notes: textOrNull(f.namedItem('notes').value),
    };
    const longSide = Number(form.dataset.photoLongSide) || 1600;
    const files = [];
    for (const photo of Array.from(f.namedItem('photos').files || [])) {
      files.push({ id: uuid(), kind: 'photo', blob: await downscale(photo, longSide), sent: false });
    }
    const canvas = form.querySelector('canvas[data-visit-signature]');
    if (canvas && signatures.get(canvas) && signatures.get(canvas).drawn) {
      const png = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      if (png) files.push({ id: uuid(), kind: 'signature', blob: png, sent: false });
    }
    const record = {
      id: uuid(),
      caseId: Number(form.dataset.caseId),
      body,
      files,
      state: 'waiting',
      reason: '',
      attempts: 0,
      savedAt: Date.now(),
    };
    await putRecord(record);
    form.reset();
    if (canvas) clearSignature(canvas);
    const gpsText = form.querySelector('[data-visit-gps-text]');
    if (gpsText) gpsText.textContent = gpsText.dataset.tNone || '';
    prepareForms();
    await render();
    sync();
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form[data-visit-form]')) return;
    event.preventDefault();
    saveVisit(form).catch((e) => {
      const error = form.querySelector('[data-visit-form-error]');
      if (error) error.textContent = String(e && e.message ? e.message : e);
    });
  });

  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const clear = target.closest('[data-visit-signature-clear]');
    if (clear) {
      const canvas = clear.closest('form').querySelector('canvas[data-visit-signature]');
      if (canvas) clearSignature(canvas);
      return;
    }
    const gps = target.closest('[data-visit-gps]');
    if (gps && 'geolocation' in navigator) {
      const form = gps.closest('form');
      const out = form.querySelector('[data-visit-gps-text]');
      navigator.geolocation.getCurrentPosition((p) => {
        form.elements.namedItem('latitude').value = String(p.coords.latitude);
        form.elements.namedItem('longitude').value = String(p.coords.longitude);
        form.elements.namedItem('accuracy_m').value = String(Math.round(p.coords.accuracy));
        out.textContent = `${p.coords.latitude.toFixed(5)}, ${p.coords.longitude.toFixed(5)} (±${Math.round(p.coords.accuracy)} m)`;
      }, () => { out.textContent = out.dataset.tFailed || ''; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    }
  });

  // The page is hydrated and re-rendered by the WASM app: set the form up
  // and draw the queue whenever its parts (re)appear.
  let scheduled = false;
  const observer = new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      prepareForms();
      for (const box of document.querySelectorAll('[data-visit-queue]')) {
        // A box the app has just built holds at most its placeholder comment.
        if (!box.firstElementChild) { render(); break; }
      }
    });
  });

  /**
   * Warms the offline pages a few seconds after the page has loaded, when the
   * phone is idle: fetching up to a hundred case pages must never compete with
   * the first paint and hydration.
   */
  function warmWhenIdle() {
    const run = () => warmCasePages().catch(() => {});
    const later = () => setTimeout(() => {
      if ('requestIdleCallback' in window) requestIdleCallback(run, { timeout: 10000 });
      else run();
    }, WARM_DELAY_MS);
    if (document.readyState === 'complete') later();
    else window.addEventListener('load', later, { once: true });
  }

  function start() {
    observer.observe(document.body, { childList: true, subtree: true });
    prepareForms();
    render();
    sync();
    warmWhenIdle();
  }

  window.addEventListener('online', () => { render(); sync(); warmCasePages().catch(() => {}); });
  window.addEventListener('offline', () => render());
  // Signal may come back without an "online" event (captive networks, flaky radio).
  setInterval(() => { if (navigator.onLine) sync(); }, 30000);

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

// Jiuzhu: a case's facts edited offline.
//
// - Takes over the facts form on a case page: what the officer typed is
//   compared with the values the page was rendered with (data-base), and only
//   the facts changed are kept, with that base, in IndexedDB under an id made
//   on the phone.
// - Sends the queue whenever the network is there, each edit a PUT to its own
//   id, so a retry or a replay is applied once. The server merges: facts
//   changed on one side only are taken, a fact changed on both sides comes
//   back as a conflict the case page lists for the officer or a supervisor.
// - A second edit made before the first is sent starts from the first one's
//   values, so the officer never conflicts with their own queue.
//
// Every word shown comes from the page (data-t-* attributes rendered from
// app/locales/), so this file holds no interface text.
(() => {
  'use strict';

  const DB_NAME = 'jiuzhu-facts';
  const STORE = 'edits';
  const NUMBERS = new Set(['household_members', 'monthly_income_fen', 'dependants']);

  // ---- IndexedDB queue (public/queue.js) ----------------------------------------

  const { openQueue, failure, text } = window.JiuzhuQueue;
  const queue = openQueue(DB_NAME, STORE);
  const putEdit = queue.put;
  const deleteEdit = queue.delete;
  const getEdit = queue.get;
  const allEdits = queue.all;

  // ---- Sending ------------------------------------------------------------------

  let syncing = false;
  let syncAgain = false;

  async function settle(edit, outcome) {
    edit.state = outcome.kind === 'refused' ? 'refused' : 'waiting';
    edit.reason = outcome.kind === 'retry' ? '' : outcome.message;
    edit.needsLogin = outcome.kind === 'login';
    await putEdit(edit);
    return false;
  }

  /** Sends one edit. True when the server has it (merged, perhaps with conflicts). */
  async function sendEdit(edit) {
    edit.state = 'sending';
    await putEdit(edit);
    render();
    try {
      const response = await fetch(`/api/v1/cases/${edit.caseId}/facts/${edit.id}`, {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ base: edit.base, changes: edit.changes }),
      });
      if (!response.ok) return settle(edit, await failure(response));
      await deleteEdit(edit.id);
      return true;
    } catch (_) {
      return settle(edit, { kind: 'retry', message: '' });
    }
  }

  async function sync() {
    if (syncing) { syncAgain = true; return; }
    if (!navigator.onLine) { render(); return; }
    syncing = true;
    let sent = 0;
    try {
      for (const edit of await allEdits()) {
        if (edit.state === 'refused') continue;
        if (!navigator.onLine) break;
        if (await sendEdit(edit)) sent += 1;
        else if (edit.needsLogin) break;
      }
    } finally {
      syncing = false;
      render();
      // The case page fetches the merged facts and any conflicts.
      if (sent > 0) window.dispatchEvent(new CustomEvent('jiuzhu-facts-synced'));
      if (syncAgain) { syncAgain = false; sync(); }
    }
  }

  // ---- The queue box --------------------------------------------------------------

  function fieldLabel(box, field) {
    for (const pair of (box.dataset.tFields || '').split('|')) {
      const [k, label] = pair.split('=');
      if (k === field) return label;
    }
    return field;
  }

  async function render() {
    const boxes = document.querySelectorAll('[data-facts-queue]');
    if (boxes.length === 0) return;
    let edits;
    try { edits = await allEdits(); } catch (_) { return; }
    for (const box of boxes) {
      const caseId = Number(box.dataset.caseId);
      const mine = edits.filter((e) => e.caseId === caseId);
      const pending = mine.filter((e) => e.state !== 'refused').length;
      box.replaceChildren();
      const head = document.createElement('p');
      head.className = 'queue-count';
      head.dataset.testid = 'facts-queue-count';
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
      for (const e of mine) {
        const li = document.createElement('li');
        li.dataset.testid = 'queued-facts-edit';
        li.dataset.state = e.state;
        const what = document.createElement('div');
        const fields = Object.keys(e.changes).map((f) => fieldLabel(box, f)).join('、');
        what.textContent = `${new Date(e.savedAt).toLocaleString()} · ${text(box, 'tItem', { fields })}`;
        const state = document.createElement('div');
        state.className = e.state === 'refused' ? 'error' : 'muted';
        state.dataset.testid = 'queued-facts-edit-state';
        if (e.state === 'refused') state.textContent = text(box, 'tStateRefused', { reason: e.reason });
        else if (e.needsLogin) state.textContent = text(box, 'tLogin');
        else state.textContent = text(box, e.state === 'sending' ? 'tStateSending' : 'tStateWaiting');
        li.append(what, state);
        if (e.state !== 'sending') {
          const retry = document.createElement('button');
          retry.type = 'button';
          retry.textContent = text(box, 'tRetry');
          retry.addEventListener('click', async () => {
            const fresh = await getEdit(e.id);
            if (!fresh) return;
            fresh.state = 'waiting';
            fresh.reason = '';
            await putEdit(fresh);
            sync();
          });
          li.append(retry);
        }
        if (e.state === 'refused') {
          const discard = document.createElement('button');
          discard.type = 'button';
          discard.textContent = text(box, 'tDiscard');
          discard.addEventListener('click', async () => {
            if (!window.confirm(text(box, 'tConfirmDiscard'))) return;
            await deleteEdit(e.id);
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

  /** "1234.5" yuan → 123450 fen in integers; null when empty, undefined when not money. */
  function yuanToFen(value) {
    const t = value.trim();
    if (t === '') return null;
    const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(t);
    if (!m) return undefined;
    return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
  }

  function fenToYuan(fen) {
    if (fen === null || fen === undefined) return '';
    const cents = String(fen % 100).padStart(2, '0');
    return cents === '00' ? String(Math.floor(fen / 100)) : `${Math.floor(fen / 100)}.${cents}`;
  }

  /** The value of one input as the API takes it; undefined when it is not valid. */
  function readField(form, field) {
    const input = form.elements.namedItem(field);
    if (!input) return undefined;
    const t = input.value.trim();
    if (field === 'monthly_income_fen') return yuanToFen(t);
    if (NUMBERS.has(field)) {
      if (t === '') return null;
      return /^\d+$/.test(t) ? Number.parseInt(t, 10) : undefined;
    }
    return t === '' ? null : t;
  }

  function writeField(form, field, value) {
    const input = form.elements.namedItem(field);
    if (!input) return;
    if (field === 'monthly_income_fen') input.value = fenToYuan(value);
    else input.value = value === null || value === undefined ? '' : String(value);
  }

  /** The facts the page was rendered with, with this phone's unsent edits laid over them. */
  async function expectedBase(form) {
    let base = {};
    try { base = JSON.parse(form.dataset.base || '{}'); } catch (_) { /* an empty base only means more conflicts */ }
    const caseId = Number(form.dataset.caseId);
    for (const e of await allEdits()) {
      if (e.caseId === caseId && e.state !== 'refused') Object.assign(base, e.changes);
    }
    return base;
  }

  const prepared = new WeakSet();
  async function prepareForms() {
    for (const form of document.querySelectorAll('form[data-facts-form]')) {
      if (prepared.has(form)) continue;
      prepared.add(form);
      // Show what the officer will have once the queue is sent.
      const base = await expectedBase(form);
      for (const [field, value] of Object.entries(base)) writeField(form, field, value);
    }
  }

  async function saveEdit(form) {
    const error = form.querySelector('[data-facts-form-error]');
    error.textContent = '';
    const base = await expectedBase(form);
    const changes = {};
    for (const field of Object.keys(base)) {
      const value = readField(form, field);
      if (value === undefined) {
        const input = form.elements.namedItem(field);
        if (input) input.focus();
        return;
      }
      if (value !== (base[field] === undefined ? null : base[field])) changes[field] = value;
    }
    if (Object.keys(changes).length === 0) {
      error.textContent = error.dataset.tNoChanges || '';
      return;
    }
    await putEdit({
      id: uuid(),
      caseId: Number(form.dataset.caseId),
      base,
      changes,
      state: 'waiting',
      reason: '',
      savedAt: Date.now(),
    });
    const details = form.closest('details');
    if (details) details.open = false;
    await render();
    sync();
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches('form[data-facts-form]')) return;
    event.preventDefault();
    saveEdit(form).catch((e) => {
      const error = form.querySelector('[data-facts-form-error]');
      if (error) error.textContent = String(e && e.message ? e.message : e);
    });
  });

  // The WASM app re-renders the case page: set forms up and draw the queue
  // whenever they (re)appear.
  let scheduled = false;
  const observer = new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      prepareForms().catch(() => {});
      for (const box of document.querySelectorAll('[data-facts-queue]')) {
        // A box the app has just built holds at most its placeholder comment.
        if (!box.firstElementChild) { render(); break; }
      }
    });
  });

  function start() {
    observer.observe(document.body, { childList: true, subtree: true });
    prepareForms().catch(() => {});
    render();
    sync();
  }

  window.addEventListener('online', () => { render(); sync(); });
  window.addEventListener('offline', () => render());
  setInterval(() => { if (navigator.onLine) sync(); }, 30000);

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

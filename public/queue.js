// Jiuzhu: what the offline queues (visits.js, facts.js) share.
//
// - An IndexedDB object store keyed by the id made on the phone, opened once.
// - What a failed response means for a queued record: send it again later,
//   log in again, or keep it with the server's reason until the officer acts.
// - The interface text of a queue box, read from the page's data-t-*
//   attributes (rendered from app/locales/), with {name} placeholders filled.
//
// Loaded before the queues (the <script defer> tags keep their order).
(() => {
  'use strict';

  /**
   * A queue of records in IndexedDB store `store` of database `name`.
   * `upgrade(objectStore)` adds any index when the store is created.
   */
  function openQueue(name, store, upgrade) {
    let dbPromise = null;
    function openDb() {
      if (!dbPromise) {
        dbPromise = new Promise((resolve, reject) => {
          const request = indexedDB.open(name, 1);
          request.onupgradeneeded = () => {
            const created = request.result.createObjectStore(store, { keyPath: 'id' });
            if (upgrade) upgrade(created);
          };
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      }
      return dbPromise;
    }

    async function withStore(mode, fn) {
      const db = await openDb();
      return new Promise((resolve, reject) => {
        const tx = db.transaction(store, mode);
        const result = fn(tx.objectStore(store));
        tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    }

    return {
      put: (record) => withStore('readwrite', (s) => s.put(record)),
      delete: (id) => withStore('readwrite', (s) => s.delete(id)),
      get: (id) => withStore('readonly', (s) => s.get(id)),
      /** Every record, oldest first. */
      async all() {
        const records = await withStore('readonly', (s) => s.getAll());
        return (records || []).sort((a, b) => a.savedAt - b.savedAt);
      },
    };
  }

  /** What a failed response means: 'retry' later, 'login' again, or 'refused' with the reason. */
  async function failure(response) {
    let message = `HTTP ${response.status}`;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (_) { /* not JSON */ }
    if (response.status === 401) return { kind: 'login', message };
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      return { kind: 'retry', message };
    }
    return { kind: 'refused', message };
  }

  /** The text of `box`'s data attribute `name` (camelCase), placeholders filled from `args`. */
  function text(box, name, args) {
    let t = box.dataset[name] || '';
    for (const [k, v] of Object.entries(args || {})) t = t.replace(`{${k}}`, v);
    return t;
  }

  window.JiuzhuQueue = Object.freeze({ openQueue, failure, text });
})();

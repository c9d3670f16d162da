/**
 * The IndexedDB database both data paths share: name `CherryStudio` like the real app, the schema,
 * and the few promise helpers everything else uses (seeding, probes, both data paths).
 *
 * Transactions stay alive across `await` of their own requests (microtasks), never across timers:
 * code inside `withTransaction` must only await IndexedDB requests.
 */

export const DB_NAME = 'CherryStudio';
export const DB_VERSION = 1;

/** store name → {keyPath, indexes: {name: keyPath}} */
export const SCHEMA = Object.freeze({
  topics: { keyPath: 'id', indexes: { updatedAt: 'updatedAt' } },
  messages: { keyPath: 'id', indexes: { topicId: 'topicId', createdAt: 'createdAt' } },
  message_blocks: { keyPath: 'id', indexes: { messageId: 'messageId', fileId: 'fileId' } },
  files: { keyPath: 'id', indexes: { messageId: 'messageId' } },
  agent_sessions: { keyPath: 'id', indexes: { agentId: 'agentId', topicId: 'topicId' } },
  settings: { keyPath: 'id', indexes: {} },
});

export const STORE_NAMES = Object.freeze(Object.keys(SCHEMA));

/** The stores that hold the user's data (what both data paths count, the no-data-loss baseline):
 * every store but `settings`. */
export const DATA_STORES = Object.freeze(STORE_NAMES.filter((name) => name !== 'settings'));

function upgrade(db) {
  for (const [name, { keyPath, indexes }] of Object.entries(SCHEMA)) {
    if (db.objectStoreNames.contains(name)) continue;
    const store = db.createObjectStore(name, { keyPath });
    for (const [indexName, indexPath] of Object.entries(indexes)) store.createIndex(indexName, indexPath);
  }
}

export function openDatabase() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => upgrade(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`${DB_NAME} is blocked by another connection`));
  });
}

/** An IDBRequest as a promise. */
export function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function transactionDone(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

/**
 * Run `body(tx)` in one transaction and resolve with its result once the transaction committed;
 * a throw aborts the transaction (nothing of it is written) and rejects.
 */
export async function withTransaction(db, storeNames, mode, body) {
  const tx = db.transaction(storeNames, mode);
  const done = transactionDone(tx);
  let result;
  try {
    result = await body(tx);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    await done.catch(() => {});
    throw error;
  }
  await done;
  return result;
}

/** Every record of `store` whose `index` equals `key` (at most `count` when given). */
export function getAllByIndex(tx, store, index, key, count = undefined) {
  return request(tx.objectStore(store).index(index).getAll(key, count));
}

/** Raw entry counts of every store, independent of any data path. */
export async function rawCounts(db) {
  return withTransaction(db, STORE_NAMES, 'readonly', async (tx) => {
    const counts = await Promise.all(STORE_NAMES.map((name) => request(tx.objectStore(name).count())));
    return Object.fromEntries(STORE_NAMES.map((name, i) => [name, counts[i]]));
  });
}

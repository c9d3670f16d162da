/**
 * The unified path's common repository: every store is reached through the same generic calls
 * (`read`/`write` with a unit of work), records pass one serializer on the way in, and topic
 * records are cached until a write touches the topics store.
 *
 * Messages and blocks are deliberately NOT cached, so a message load costs the same IndexedDB
 * work on both paths and the performance comparison measures the layers, not a cache.
 */

import { getAllByIndex, request, withTransaction } from '../../storage/idb.js';

/** Records as stored: no undefined fields, no computed fields (e.g. messageCount). */
const COMPUTED_FIELDS = { topics: ['messageCount'] };

export function serialize(store, entity) {
  const record = {};
  const computed = COMPUTED_FIELDS[store] ?? [];
  for (const [key, value] of Object.entries(entity)) {
    if (value !== undefined && !computed.includes(key)) record[key] = value;
  }
  return record;
}

/** What a transaction body sees: reads, and writes that go through the serializer. */
class UnitOfWork {
  constructor(tx) {
    this.tx = tx;
    this.written = new Set();
  }

  get(store, id) { return request(this.tx.objectStore(store).get(id)); }
  getAll(store) { return request(this.tx.objectStore(store).getAll()); }
  findByIndex(store, index, key, count) { return getAllByIndex(this.tx, store, index, key, count); }
  countByIndex(store, index, key) { return request(this.tx.objectStore(store).index(index).count(key)); }
  count(store) { return request(this.tx.objectStore(store).count()); }

  put(store, entity) {
    this.written.add(store);
    this.tx.objectStore(store).put(serialize(store, entity));
  }

  delete(store, id) {
    this.written.add(store);
    this.tx.objectStore(store).delete(id);
  }
}

export class Repository {
  #topics = null; // Map id → topic record, or null when stale

  constructor(db) {
    this.db = db;
  }

  read(stores, body) {
    return withTransaction(this.db, stores, 'readonly', (tx) => body(new UnitOfWork(tx)));
  }

  async write(stores, body) {
    let uow = null;
    try {
      return await withTransaction(this.db, stores, 'readwrite', (tx) => body((uow = new UnitOfWork(tx))));
    } finally {
      if (uow?.written.has('topics')) this.#topics = null;
    }
  }

  /** Topic records from the cache, loading them on first use or after a topics write. */
  async topics() {
    if (!this.#topics) {
      const records = await this.read(['topics'], (uow) => uow.getAll('topics'));
      this.#topics = new Map(records.map((topic) => [topic.id, topic]));
    }
    return [...this.#topics.values()];
  }

  /**
   * The records with `index = key` (at most `limit`) and their children (by `childIndex` =
   * parent id), in one transaction: {parents, children}.
   */
  findTree({ store, index, key, childStore, childIndex, sort, limit }) {
    return this.read([store, childStore], async (uow) => {
      const parents = (await uow.findByIndex(store, index, key, limit)).sort(sort);
      const children = await Promise.all(parents.map((p) => uow.findByIndex(childStore, childIndex, p.id)));
      return { parents, children: children.flat() };
    });
  }
}

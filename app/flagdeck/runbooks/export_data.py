"""Level 3's "export critical data": the app's IndexedDB databases, kept beside the rollback record.

Live (a page of the app's origin answers over DevTools): every database of the origin as JSON,
read in the page itself (``indexedDB`` in a read-only transaction per store; Blobs and binary
values as base64). Closed: copies of its ``IndexedDB`` and ``Local Storage`` folders (a LevelDB is
never opened in place). A folder copied while the app holds it may be mid-write: that is said.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from flagdeck.private_files import write_bytes
from flagdeck.probe.page import PageProbe
from flagdeck.targets import process
from flagdeck.targets.resolve import Target

_DUMP_JS = r"""
(async () => {
  const b64 = async (blob) => {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  const plain = async (v) => {
    if (v instanceof Blob) return { $blob: await b64(v), type: v.type, size: v.size };
    if (v instanceof ArrayBuffer) return { $bytes: await b64(new Blob([v])) };
    if (ArrayBuffer.isView(v)) return { $bytes: await b64(new Blob([v])) };
    if (v instanceof Date) return { $date: v.toISOString() };
    if (Array.isArray(v)) return Promise.all(v.map(plain));
    if (v && typeof v === 'object') {
      const out = {};
      for (const [k, x] of Object.entries(v)) out[k] = await plain(x);
      return out;
    }
    return v;
  };
  const req = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  const out = {};
  for (const info of await indexedDB.databases()) {
    const db = await req(indexedDB.open(info.name));
    const stores = {};
    for (const name of db.objectStoreNames) {
      const store = db.transaction(name, 'readonly').objectStore(name);
      const [keys, values] = await Promise.all([req(store.getAllKeys()), req(store.getAll())]);
      const records = [];
      for (let i = 0; i < keys.length; i++) records.push({ key: await plain(keys[i]), value: await plain(values[i]) });
      stores[name] = { keyPath: store.keyPath, autoIncrement: store.autoIncrement, records };
    }
    out[info.name] = { version: db.version, stores };
    db.close();
  }
  return JSON.stringify(out);
})()
"""


def dump_live(page: PageProbe, dest: Path) -> dict[str, int]:
    """Every IndexedDB database of the page's origin into ``dest`` (JSON); records per database."""
    text = page.evaluate(_DUMP_JS, await_promise=True, timeout=120)
    data: dict[str, Any] = json.loads(text) if isinstance(text, str) else {}
    write_bytes(dest, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    return {name: sum(len(s.get("records", [])) for s in db.get("stores", {}).values()) for name, db in data.items()}


def copy_folders(target: Target, dest: Path) -> tuple[list[str], list[str]]:
    """Copies of the app's IndexedDB and Local Storage folders; (what was copied, notes)."""
    notes: list[str] = []
    copied: list[str] = []
    if process.lock_holder(target.lock_file) is not None:
        notes.append("the app was running (without a debug port) while its folders were copied: "
                     "the copies may miss its last writes")
    sources = [target.leveldb_dir]
    if target.user_data_dir is not None:
        sources.insert(0, target.user_data_dir / "IndexedDB")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    for src in sources:
        if not src.is_dir():
            notes.append(f"{src} does not exist: nothing to copy")
            continue
        name = "IndexedDB" if src.name == "IndexedDB" else "Local Storage-leveldb"
        shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("LOCK"), dirs_exist_ok=True)
        copied.append(name)
    return copied, notes

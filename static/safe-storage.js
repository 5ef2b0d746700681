// localStorage where the browser allows it, and a page-lifetime map where it does not.
//
// A /display framed by another site's page is third-party: a browser that blocks third-party
// cookies and storage throws on the mere `localStorage` getter. Every page script takes its
// storage from here, so a refused storage costs only what the page would have remembered
// across a reload (the client id, the outbox, the theme), never the page itself.

class MemoryStorage {
  constructor() { this.map = new Map(); }
  getItem(key) { return this.map.has(key) ? this.map.get(key) : null; }
  setItem(key, value) { this.map.set(key, String(value)); }
  removeItem(key) { this.map.delete(key); }
}

// Each call on the real storage is guarded too: quota errors, or a storage revoked meanwhile.
class GuardedStorage {
  constructor(real) {
    this.real = real;
    this.memory = new MemoryStorage();
  }
  getItem(key) {
    try { return this.real.getItem(key); } catch { return this.memory.getItem(key); }
  }
  setItem(key, value) {
    try { this.real.setItem(key, value); } catch { this.memory.setItem(key, value); }
  }
  removeItem(key) {
    try { this.real.removeItem(key); } catch { /* only the memory copy to drop */ }
    this.memory.removeItem(key);
  }
}

function open() {
  try {
    const real = window.localStorage;
    const probe = "chorus.probe";
    real.setItem(probe, "1");
    real.removeItem(probe);
    return new GuardedStorage(real);
  } catch {
    return new MemoryStorage();
  }
}

export const storage = open();

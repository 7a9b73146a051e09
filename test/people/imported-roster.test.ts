import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraphStore, type GraphStore } from '../../src/store/index.js';
import { BACKENDS } from '../store/backends.js';

describe.each(BACKENDS)('imported rosters on $name', (backend) => {
  let store: GraphStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await backend.create('rosters');
    drop = db.drop;
    store = await openGraphStore(db.url);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('stores one roster per instance, an import replacing the previous one', async () => {
    expect(await store.loadRoster('hr')).toBeUndefined();
    await store.saveRoster('hr', {
      name: 'a.csv',
      rows: [{ employeeId: 'E1', email: ['a@x.com'] }],
    });
    await store.saveRoster('other', { name: 'o.csv', rows: [{ employeeId: 'O1', email: [] }] });
    await store.saveRoster('hr', { name: 'b.json', rows: [{ employeeId: 'E2', email: [] }] });
    const hr = await store.loadRoster('hr');
    expect({ name: hr?.name, rows: hr?.rows }).toEqual({
      name: 'b.json',
      rows: [{ employeeId: 'E2', email: [] }],
    });
    expect((await store.loadRoster('other'))?.rows).toEqual([{ employeeId: 'O1', email: [] }]);
  });
});

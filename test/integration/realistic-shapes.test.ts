import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Entity } from '../../src/graph/types.js';
import { ENTITIES, MemoryGraphObjectStore, runIntegration } from '../../src/integration/index.js';
import type { Machine, Vulnerability } from '../../src/emulator/tenant/types.js';
import { DEFENDER_SCOPE, tokenFor } from '../emulator/http-client.js';
import { startTestEmulator, type TestEmulator } from '../support/emulator.js';

/** The emulator's data in the shapes the recorded real responses have, and the converters on them. */
describe('recorded real shapes in the emulator, and what the converters make of them', () => {
  let te: TestEmulator;
  let machines: Machine[];
  let store: MemoryGraphObjectStore;
  const entity = (type: string, id: string): Entity =>
    store.entities(type).find((e) => e.id === id)!;

  beforeAll(async () => {
    te = await startTestEmulator({ seed: 31 });
    machines = [...te.emulator.tenant.machines] as Machine[];
    store = new MemoryGraphObjectStore();
    const result = await runIntegration({ instance: te.config, store });
    expect(result.stepResults.map((s) => s.status)).toEqual(
      result.stepResults.map(() => 'success'),
    );
  });
  afterAll(async () => te?.close());

  it('discovered-only machines have the recorded "CanBeOnboarded" shape', () => {
    const discovered = machines.filter((m) => m.onboardingStatus === 'CanBeOnboarded');
    expect(discovered.length).toBeGreaterThan(0);
    for (const m of discovered) {
      expect(m).toMatchObject({
        osProcessor: null,
        osArchitecture: null,
        lastExternalIpAddress: null,
        agentVersion: '1.1500',
        managedBy: 'Unknown',
      });
      for (const address of m.ipAddresses)
        expect([address.type, address.operationalStatus]).toEqual([null, 'Unknown']);
      const converted = entity(ENTITIES.MACHINE._type, m.id);
      expect(converted.agentVersion).toBe('1.1500');
      expect(converted.onboardingStatus).toBe('CanBeOnboarded');
      // Unknown values are left off the entity, not stored as null.
      expect('osArchitecture' in converted).toBe(false);
    }
  });

  it('isAadJoined is null on some machines, and is left off (unknown) on the entity', () => {
    const unknown = machines.filter((m) => m.isAadJoined === null);
    expect(unknown.length).toBeGreaterThan(0);
    for (const m of unknown)
      expect('isAadJoined' in entity(ENTITIES.MACHINE._type, m.id)).toBe(false);
  });

  it('an empty-string machine tag exists and tags nothing', () => {
    const tagged = machines.filter((m) => m.machineTags.includes(''));
    expect(tagged.length).toBeGreaterThan(0);
    for (const m of tagged)
      expect(entity(ENTITIES.MACHINE._type, m.id).machineTags).toEqual(
        m.machineTags.filter((t) => t !== ''),
      );
  });

  it('Linux loopback is type Other with an all-zero MAC; no loopback address or zero MAC reaches the device', () => {
    const linux = machines.filter(
      (m) => m.osPlatform === 'Ubuntu' && m.onboardingStatus !== 'CanBeOnboarded',
    );
    expect(linux.length).toBeGreaterThan(0);
    for (const m of linux) {
      expect(m.ipAddresses.find((a) => a.ipAddress === '127.0.0.1')).toEqual({
        ipAddress: '127.0.0.1',
        macAddress: '000000000000',
        type: 'Other',
        operationalStatus: 'Up',
      });
      const device = store.entities(ENTITIES.DEVICE._type).find((d) => d.id === m.id)!;
      expect(device.ipAddress as string[]).not.toContain('127.0.0.1');
      expect(device.macAddress as string[]).not.toContain('00:00:00:00:00:00');
    }
  });

  it('vulnerability updatedOn and firstDetected carry a time of day, kept by the converter', () => {
    const cves = [...te.emulator.tenant.vulnerabilities] as Vulnerability[];
    const timed = cves.filter((v) => !v.updatedOn.endsWith('T00:00:00Z'));
    expect(timed.length).toBeGreaterThan(cves.length / 2);
    expect(cves.filter((v) => !v.firstDetected.endsWith('T00:00:00Z')).length).toBeGreaterThan(
      cves.length / 2,
    );
    for (const v of timed) {
      const converted = store
        .entities(ENTITIES.VULNERABILITY._type)
        .find((e) => e.id === v.id || e.name === v.id)!;
      expect(converted.updatedOn).toBe(Date.parse(v.updatedOn));
    }
  });

  it("Defender answers name Microsoft's host in @odata.context, and 404s no internal path prefix", async () => {
    const token = await tokenFor(te, DEFENDER_SCOPE);
    const get = async (path: string) => {
      const { request } = await import('undici');
      const res = await request(`${te.emulator.url}${path}`, {
        dispatcher: te.dispatcher,
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    const list = await get('/defender/api/machines?$top=1');
    expect(list.body['@odata.context']).toBe(
      'https://api.securitycenter.microsoft.com/api/$metadata#Machines',
    );
    const missing = await get('/defender/api/nothing');
    expect(missing.status).toBe(404);
    expect((missing.body.error as { message: string }).message).toBe(
      'Resource /api/nothing was not found',
    );
  });
});

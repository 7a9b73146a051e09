/**
 * What the hostile-payload guards cost on the common path: per entity, bounding (integration/
 * bounded-object.ts) plus the store's JSON encoding and decoding (store/stored-json.ts), against
 * the plain JSON.stringify / JSON.parse they replaced, over emulated users and machines that need
 * no escaping. CPU only, no database.
 * Usage: npx tsx bench/stored-payloads.ts [--entities 20000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { SimulatedTenant } from '../src/emulator/tenant/simulated-tenant.js';
import { boundObjects } from '../src/integration/bounded-object.js';
import { createMachineEntity } from '../src/integration/converters/machine.js';
import { createUserEntity } from '../src/integration/converters/user.js';
import type { Entity } from '../src/graph/types.js';
import type { DefenderMachine, GraphUser } from '../src/microsoft/types.js';
import { fromStoredJson, toStoredJson } from '../src/store/stored-json.js';
import { writeSection } from './support.js';

const { values } = parseArgs({
  options: {
    entities: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
  },
});
const half = Number(values.entities) / 2;
const rounds = Number(values.rounds);
const command = `npx tsx bench/stored-payloads.ts --entities ${values.entities} --rounds ${rounds}`;

const tenant = new SimulatedTenant({
  seed: 1,
  users: half,
  machines: half,
  groups: 10,
  cves: 100,
  logonUsersPerMachine: 1,
  vulnerabilitiesPerMachine: 1,
});
const entities: Entity[] = [];
for (let i = 0; i < half; i++) {
  entities.push(createUserEntity(tenant.users.at(i) as unknown as GraphUser));
  entities.push(createMachineEntity(tenant.machines.at(i) as unknown as DefenderMachine));
}
const properties = entities.map(({ _rawData, ...rest }) => {
  void _rawData;
  return rest;
});

/**
 * Best of `rounds` for each of two ways, in CPU milliseconds of this process (wall time on the
 * shared machine mostly measures the other processes), run alternately so that JIT warm-up falls
 * on both alike; the minimum is the least noisy figure.
 */
function pair(plain: () => void, guarded: () => void): [number, number] {
  const fastest = [Infinity, Infinity];
  for (let round = 0; round < rounds; round++) {
    [plain, guarded].forEach((fn, i) => {
      const start = process.cpuUsage();
      fn();
      const used = process.cpuUsage(start);
      fastest[i] = Math.min(fastest[i]!, (used.user + used.system) / 1000);
    });
  }
  return [fastest[0]!, fastest[1]!];
}

const [plainWrite, guardedWrite] = pair(
  () => properties.forEach((p) => JSON.stringify(p)),
  () => properties.forEach((p) => toStoredJson(p)),
);
const texts = properties.map((p) => JSON.stringify(p));
const [plainRead, guardedRead] = pair(
  () => texts.forEach((t) => JSON.parse(t)),
  () => texts.forEach((t) => fromStoredJson(t)),
);
const [rawWrite, bounding] = pair(
  () => entities.forEach((e) => JSON.stringify(e._rawData)),
  () => boundObjects(entities),
);

const row = (what: string, plain: number, guarded: number) =>
  `| ${what} | ${plain.toFixed(1)} | ${guarded.toFixed(1)} | ${(((guarded - plain) / plain) * 100).toFixed(1)} % |`;

writeSection(
  'stored-payloads.md',
  `## Hostile-payload guards on the common path (${entities.length} entities)

Command: \`${command}\`

${half} emulated users and ${half} emulated machines through their converters, none needing an
escape. CPU milliseconds for all of them, best of ${rounds} rounds, the two ways alternating.

| step | before (plain JSON) | after | change |
| --- | ---: | ---: | ---: |
${row('properties → JSON column text', plainWrite, guardedWrite)}
${row('JSON column text → properties', plainRead, guardedRead)}

Bounding each entity (depth, string length, value count; raw data included) costs
${bounding.toFixed(1)} ms for all ${entities.length}, against ${rawWrite.toFixed(1)} ms to serialise their raw data once.
`,
);

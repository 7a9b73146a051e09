import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createLogonUserEntity,
  mergeLogonUserRecords,
} from '../../src/integration/converters/logon-user.js';
import type { DefenderLogonUser } from '../../src/microsoft/types.js';

const record = fc.record({
  id: fc.constant('WS-1\\administrator'),
  accountName: fc.constant('administrator'),
  accountDomain: fc.constant('WS-1'),
  accountSid: fc.option(fc.constantFrom('S-1-5-21-1-500', 'S-1-5-21-2-500', 'S-1-5-21-3-500')),
  isDomainAdmin: fc.option(fc.boolean()),
}) as fc.Arbitrary<DefenderLogonUser>;

describe("merging one account's records from several machines", () => {
  it('gives the same logon-user entity whatever order the machines answered in', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 6 }), (records) => {
        const merged = (list: DefenderLogonUser[]) =>
          createLogonUserEntity(list.reduce((a, b) => mergeLogonUserRecords(a, b)));
        const withoutRaw = (list: DefenderLogonUser[]) => ({
          ...merged(list),
          _rawData: undefined,
        });
        expect(withoutRaw([...records].reverse())).toEqual(withoutRaw(records));
      }),
    );
  });
});

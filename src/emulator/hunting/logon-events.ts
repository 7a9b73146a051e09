import type { TenantView } from '../tenant-view.js';
import { fields } from '../tenant-view.js';
import type { HuntingTable } from './evaluate.js';
import type { Row } from './kql.js';

/** `2026-11-01T10:00:00Z` → `2026-11-01T10:00:00.0000000Z`: Advanced Hunting's 100 ns ticks. */
function ticks(iso: unknown): string | null {
  return typeof iso === 'string' ? iso.replace(/Z$/, '.0000000Z') : null;
}

/**
 * `DeviceLogonEvents` made from the same records `/machines/{id}/logonusers` serves, so both paths
 * see one truth: per account and logon type, a successful logon at its `firstSeen` and one at its
 * `lastSeen` (min and max give them back; `make_set` gives the types in `/logonusers`' order).
 * Admin rights on the device (`IsLocalAdmin`) are the record's `isDomainAdmin`; a missing SID is
 * `""`, as Advanced Hunting has no null strings.
 */
export function logonEventsTable(tenant: TenantView): HuntingTable {
  return {
    name: 'DeviceLogonEvents',
    columns: {
      Timestamp: 'DateTime',
      DeviceId: 'String',
      DeviceName: 'String',
      ActionType: 'String',
      LogonType: 'String',
      AccountDomain: 'String',
      AccountName: 'String',
      AccountSid: 'String',
      IsLocalAdmin: 'Boolean',
    },
    *rows(keepDevice) {
      for (const machine of tenant.machines) {
        const { id, computerDnsName } = fields(machine);
        const deviceId = String(id);
        if (!keepDevice(deviceId)) continue;
        for (const user of tenant.machineLogonUsers(deviceId) ?? []) {
          const u = fields(user);
          const types = String(u.logonTypes ?? '')
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean);
          for (const LogonType of types) {
            for (const at of [u.firstSeen, u.lastSeen]) {
              const row: Row = {
                Timestamp: ticks(at),
                DeviceId: deviceId,
                DeviceName: String(computerDnsName ?? ''),
                ActionType: 'LogonSuccess',
                LogonType,
                AccountDomain: String(u.accountDomain),
                AccountName: String(u.accountName),
                AccountSid: typeof u.accountSid === 'string' ? u.accountSid : '',
                IsLocalAdmin: u.isDomainAdmin === true,
              };
              yield row;
            }
          }
        }
      }
    },
  };
}

import type { DefenderLogonUser } from '../../microsoft/types.js';

/**
 * One row of the logon summary query (`steps/logon-hunting-query.ts`): one account on one device
 * over the last 30 days, as Advanced Hunting returns it.
 */
export interface HuntingLogonRow {
  DeviceId: string;
  AccountDomain: string;
  AccountName: string;
  /** Advanced Hunting has no null strings: an unknown SID is `""`. */
  AccountSid?: string | null;
  FirstSeen?: string | null;
  LastSeen?: string | null;
  /** `make_set` is a dynamic column: a JSON array, or its text. */
  LogonTypes?: string[] | string | null;
  /** `max(toint(IsLocalAdmin))`: 1, 0, or null when never reported. */
  IsLocalAdmin?: number | boolean | null;
}

/** Timestamps to the second, as `/logonusers` gives them (Advanced Hunting has 100 ns ticks). */
function toSeconds(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function logonTypeList(value: HuntingLogonRow['LogonTypes']): string[] {
  if (Array.isArray(value)) return value.filter((t) => typeof t === 'string');
  if (typeof value !== 'string' || value.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((t) => typeof t === 'string') : [value];
  } catch {
    return [value];
  }
}

/**
 * The row under `/logonusers`' field names, so one pair of converters builds both paths' entities
 * and relationships (docs/data-model.md, "Logon users: two collection paths", says what differs).
 */
export function logonUserFromHuntingRow(row: HuntingLogonRow): DefenderLogonUser {
  const accountSid = row.AccountSid ? row.AccountSid : null;
  const types = logonTypeList(row.LogonTypes);
  const localAdmin = row.IsLocalAdmin;
  return {
    id: `${row.AccountDomain}\\${row.AccountName}`,
    accountName: row.AccountName,
    accountDomain: row.AccountDomain,
    accountSid,
    firstSeen: toSeconds(row.FirstSeen),
    lastSeen: toSeconds(row.LastSeen),
    logonTypes: types.length > 0 ? types.join(', ') : null,
    isDomainAdmin:
      localAdmin === null || localAdmin === undefined ? null : Boolean(Number(localAdmin)),
    isOnlyNetworkUser:
      accountSid === null || types.length === 0 ? null : types.every((t) => t === 'Network'),
  };
}

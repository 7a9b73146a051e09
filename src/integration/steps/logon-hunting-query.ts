/**
 * The one Advanced Hunting query the logon-user step sends: successful logons of the last 30 days
 * (the window `/logonusers` covers, and all Advanced Hunting keeps), summarised per device and
 * account, for the devices whose id is in (`after`, `upTo`], in id order so a cut answer can be
 * continued from its last whole device. The emulator accepts exactly this shape.
 */
export function logonSummaryQuery(
  range: { after: string; upTo: string },
  rowLimit: number,
): string {
  return [
    'DeviceLogonEvents',
    '| where Timestamp > ago(30d) and ActionType == "LogonSuccess"',
    `| where DeviceId > ${kqlString(range.after)} and DeviceId <= ${kqlString(range.upTo)}`,
    '| summarize FirstSeen = min(Timestamp), LastSeen = max(Timestamp), LogonTypes = make_set(LogonType), AccountSid = max(AccountSid), IsLocalAdmin = max(toint(IsLocalAdmin)) by DeviceId, AccountDomain, AccountName',
    '| order by DeviceId asc, AccountDomain asc, AccountName asc',
    `| take ${rowLimit}`,
  ].join('\n');
}

/** A KQL string literal: double quotes, backslash escapes. */
export function kqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

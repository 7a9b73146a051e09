/** Microsoft hosts per national cloud (docs/reference/defender-api.md §2, graph-api.md §1.5). */
export interface CloudEndpoints {
  authority: string;
  graph: string;
  defender: string;
  /** Audience the Defender token must be issued for; differs from the API host (defender-api.md §1.1). */
  defenderResource: string;
  graphResource: string;
}

export const CLOUDS = {
  public: {
    authority: 'https://login.microsoftonline.com',
    graph: 'https://graph.microsoft.com',
    defender: 'https://api.securitycenter.microsoft.com',
    defenderResource: 'https://api.securitycenter.microsoft.com',
    graphResource: 'https://graph.microsoft.com',
  },
  'usgov-gcc': {
    authority: 'https://login.microsoftonline.com',
    graph: 'https://graph.microsoft.com',
    defender: 'https://api-gcc.securitycenter.microsoft.us',
    // UNCONFIRMED by Microsoft docs: third-party scripts use the API base as the resource.
    defenderResource: 'https://api-gcc.securitycenter.microsoft.us',
    graphResource: 'https://graph.microsoft.com',
  },
  'usgov-gcchigh': {
    authority: 'https://login.microsoftonline.us',
    graph: 'https://graph.microsoft.us',
    defender: 'https://api-gov.securitycenter.microsoft.us',
    defenderResource: 'https://api-gov.securitycenter.microsoft.us',
    graphResource: 'https://graph.microsoft.us',
  },
  'usgov-dod': {
    authority: 'https://login.microsoftonline.us',
    graph: 'https://dod-graph.microsoft.us',
    defender: 'https://api-gov.securitycenter.microsoft.us',
    defenderResource: 'https://api-gov.securitycenter.microsoft.us',
    graphResource: 'https://dod-graph.microsoft.us',
  },
} as const satisfies Record<string, CloudEndpoints>;

export type CloudName = keyof typeof CLOUDS;

/** Regional Defender hosts: a performance hint only, same paths and token (defender-api.md §2). */
export const DEFENDER_REGIONS = ['us', 'eu', 'uk', 'au', 'swa', 'ina', 'aea'] as const;
export type DefenderRegion = (typeof DEFENDER_REGIONS)[number];

export function defenderRegionHost(region: DefenderRegion): string {
  return `https://${region}.api.security.microsoft.com`;
}

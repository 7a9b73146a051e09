import type { ApiClient } from './http.js';
import { ENDPOINTS } from './endpoints.js';
import { MicrosoftApiError } from './errors.js';
import { graphDeltaRound, graphPages } from './paging.js';
import type {
  GraphDirectoryObject,
  GraphGroup,
  GraphGroupDelta,
  GraphOrganization,
  GraphUser,
  GraphUserDelta,
} from './types.js';

/** Graph's maximum directory page size: fewest calls. */
const PAGE_SIZE = 999;

/** `$select` so `accountEnabled`, `userType`, on-premises ids… are actually returned (graph-api.md §5.2). */
export const USER_SELECT = [
  'id',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'otherMails',
  'userPrincipalName',
  'accountEnabled',
  'userType',
  'employeeId',
  'employeeType',
  'jobTitle',
  'department',
  'createdDateTime',
  'onPremisesSecurityIdentifier',
  'onPremisesSamAccountName',
  'onPremisesDomainName',
  'onPremisesUserPrincipalName',
];

export class GraphClient {
  private readonly root: string;

  /** `base` is the Graph origin (plus a path prefix for the emulator), without `/v1.0`. */
  constructor(
    private readonly http: ApiClient,
    base: string,
  ) {
    this.root = `${base}/v1.0`;
  }

  async organization(): Promise<GraphOrganization> {
    const page = await this.http.getPage<GraphOrganization>(
      ENDPOINTS.organization,
      `${this.root}/organization`,
    );
    const organization = page.value[0];
    if (!organization) {
      throw new MicrosoftApiError({
        api: 'graph',
        endpoint: ENDPOINTS.organization.label,
        code: 'BAD_RESPONSE',
        message: `${ENDPOINTS.organization.label}: no organization in the response`,
      });
    }
    return organization;
  }

  users(): AsyncGenerator<GraphUser[]> {
    return graphPages(
      this.http,
      ENDPOINTS.users,
      `${this.root}/users?$top=${PAGE_SIZE}&$select=${USER_SELECT.join(',')}`,
    );
  }

  groups(): AsyncGenerator<GraphGroup[]> {
    return graphPages(this.http, ENDPOINTS.groups, `${this.root}/groups?$top=${PAGE_SIZE}`);
  }

  groupMembers(groupId: string): AsyncGenerator<GraphDirectoryObject[]> {
    return graphPages(
      this.http,
      ENDPOINTS.groupMembers,
      `${this.root}/groups/${encodeURIComponent(groupId)}/members?$top=${PAGE_SIZE}`,
    );
  }

  /**
   * A deltaLink for changes from now on, without listing anything (`$deltatoken=latest`): taken
   * before a full listing, so what changes during it comes again in the next round.
   */
  async latestDeltaLink(kind: 'users' | 'groups'): Promise<string> {
    const page = await this.http.getPage(
      kind === 'users' ? ENDPOINTS.usersDelta : ENDPOINTS.groupsDelta,
      `${this.deltaStart(kind)}${kind === 'users' ? '&' : '?'}$deltatoken=latest`,
    );
    const link = page['@odata.deltaLink'];
    if (typeof link !== 'string')
      throw new MicrosoftApiError({
        api: 'graph',
        endpoint: ENDPOINTS[`${kind}Delta`].label,
        code: 'BAD_RESPONSE',
        message: `${ENDPOINTS[`${kind}Delta`].label}: $deltatoken=latest answered no @odata.deltaLink`,
      });
    return link;
  }

  /** Users changed since `deltaLink`'s round; answers the next deltaLink. */
  usersDelta(deltaLink: string, each: (items: GraphUserDelta[]) => Promise<void>): Promise<string> {
    return graphDeltaRound(this.http, ENDPOINTS.usersDelta, deltaLink, each);
  }

  /** Groups whose properties or members changed since `deltaLink`'s round (`members@delta`). */
  groupsDelta(
    deltaLink: string,
    each: (items: GraphGroupDelta[]) => Promise<void>,
  ): Promise<string> {
    return graphDeltaRound(this.http, ENDPOINTS.groupsDelta, deltaLink, each);
  }

  /** The first call of a delta round: users with the listing's `$select`, groups with members. */
  private deltaStart(kind: 'users' | 'groups'): string {
    return kind === 'users'
      ? `${this.root}/users/delta?$select=${USER_SELECT.join(',')}`
      : `${this.root}/groups/delta`;
  }

  /** Cheapest permission probes for `validate`: one item each. */
  async probe(
    endpoint: 'organization' | 'users' | 'groups' | 'groupMembers',
  ): Promise<'probed' | 'nothing-to-probe'> {
    if (endpoint === 'organization') {
      await this.organization();
      return 'probed';
    }
    if (endpoint === 'groupMembers') {
      const groups = await this.http.getPage<GraphGroup>(
        ENDPOINTS.groups,
        `${this.root}/groups?$top=1&$select=id`,
      );
      const groupId = groups.value[0]?.id;
      if (groupId === undefined) return 'nothing-to-probe';
      await this.http.getPage(
        ENDPOINTS.groupMembers,
        `${this.root}/groups/${encodeURIComponent(groupId)}/members?$top=1`,
      );
      return 'probed';
    }
    await this.http.getPage(ENDPOINTS[endpoint], `${this.root}/${endpoint}?$top=1&$select=id`);
    return 'probed';
  }
}

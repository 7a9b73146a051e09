import { describe, expect, it } from 'vitest';
import { ENTITIES, MAPPED_RELATIONSHIPS, RELATIONSHIPS } from '../../src/integration/index.js';
import { permissionImpact } from '../../src/integration/permissions.js';

describe('what a missing permission costs (from the step declarations)', () => {
  it('without Machine.Read.All: machines, devices, logon users, vulnerabilities and their relationships', () => {
    const impact = permissionImpact('defender', 'Machine.Read.All');
    expect(impact.steps).toEqual(['fetch-machines']);
    expect(impact.dependentSteps).toEqual([
      'fetch-logon-users',
      'fetch-vulnerabilities',
      'build-logon-user-is-user',
    ]);
    expect(impact.typesLost).toEqual([
      ENTITIES.MACHINE._type,
      ENTITIES.DEVICE._type,
      RELATIONSHIPS.ACCOUNT_HAS_MACHINE._type,
      RELATIONSHIPS.MACHINE_MANAGES_DEVICE._type,
      ENTITIES.LOGON_USER._type,
      RELATIONSHIPS.MACHINE_HAS_LOGON_USER._type,
      ENTITIES.VULNERABILITY._type,
      RELATIONSHIPS.MACHINE_IDENTIFIED_VULNERABILITY._type,
      MAPPED_RELATIONSHIPS.VULNERABILITY_IS_CVE._type,
      RELATIONSHIPS.LOGON_USER_IS_USER._type,
    ]);
  });

  it('without Vulnerability.Read.All: only the vulnerability step, which nothing depends on', () => {
    const impact = permissionImpact('defender', 'Vulnerability.Read.All');
    expect(impact.steps).toEqual(['fetch-vulnerabilities']);
    expect(impact.dependentSteps).toEqual([]);
    expect(impact.typesLost).toEqual([
      ENTITIES.VULNERABILITY._type,
      RELATIONSHIPS.MACHINE_IDENTIFIED_VULNERABILITY._type,
      MAPPED_RELATIONSHIPS.VULNERABILITY_IS_CVE._type,
    ]);
  });

  it('without Graph User.Read.All: users, and the groups and logon-user links that depend on them', () => {
    const impact = permissionImpact('graph', 'User.Read.All');
    expect(impact.steps).toEqual(['fetch-users']);
    expect(impact.dependentSteps).toEqual(['fetch-groups', 'build-logon-user-is-user']);
    expect(impact.typesLost).toContain(ENTITIES.USER._type);
    expect(impact.typesLost).toContain(ENTITIES.GROUP._type);
    expect(impact.typesLost).toContain(RELATIONSHIPS.LOGON_USER_IS_USER._type);
    expect(impact.typesLost).not.toContain(ENTITIES.MACHINE._type);
  });

  it('Defender User.Read.All is not Graph User.Read.All: logon users only', () => {
    const impact = permissionImpact('defender', 'User.Read.All');
    expect(impact.steps).toEqual(['fetch-logon-users']);
    expect(impact.dependentSteps).toEqual(['build-logon-user-is-user']);
    expect(impact.typesLost).not.toContain(ENTITIES.USER._type);
  });

  it('without Organization.Read.All: every other step depends on the account, so every type', () => {
    const impact = permissionImpact('graph', 'Organization.Read.All');
    expect(impact.steps).toEqual(['fetch-account']);
    expect(impact.dependentSteps).toEqual([
      'fetch-users',
      'fetch-groups',
      'fetch-machines',
      'fetch-logon-users',
      'fetch-vulnerabilities',
      'build-logon-user-is-user',
    ]);
    expect(impact.typesLost).toContain(ENTITIES.ACCOUNT._type);
    expect(impact.typesLost).toContain(ENTITIES.VULNERABILITY._type);
  });
});

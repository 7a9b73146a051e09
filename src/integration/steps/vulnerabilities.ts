import type { Entity } from '../../graph/types.js';
import type { DefenderMachineVulnerabilityRow } from '../../microsoft/types.js';
import {
  createMachineVulnerabilityRelationship,
  createVulnerabilityCveRelationship,
  createVulnerabilityEntity,
  vulnerabilityFromRow,
  vulnerabilityKey,
} from '../converters/vulnerability.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import type { IntegrationStep } from '../step.js';
import { declaration } from './declaration.js';

/**
 * Bulk endpoints only: CVE details from `/api/vulnerabilities`, every machine × CVE pair from
 * `/api/vulnerabilities/machinesVulnerabilities`, so calls grow with pages, not machines.
 */
export const vulnerabilitiesStep: IntegrationStep = {
  ...declaration(STEP_IDS.VULNERABILITIES),
  async executionHandler({ defender, jobState, progress }) {
    const machineIds = new Set<string>();
    await jobState.iterateEntities({ _type: ENTITIES.MACHINE._type }, (m) => {
      machineIds.add(String(m.id));
    });

    const vulnerabilities = new Map<string, Entity>();
    for await (const page of defender.vulnerabilities()) {
      for (const v of page) {
        const entity = createVulnerabilityEntity(v);
        vulnerabilities.set(entity._key, entity);
      }
    }

    // Rows come one per affected product; group them into one relationship per pair.
    const pairs = new Map<string, DefenderMachineVulnerabilityRow[]>();
    let rows = 0;
    for await (const page of defender.machinesVulnerabilities()) {
      for (const row of page) {
        // Rows for machines not in the machine list (offboarded meanwhile) would dangle.
        if (!machineIds.has(row.machineId)) continue;
        const pair = `${row.machineId}|${row.cveId.toUpperCase()}`;
        const existing = pairs.get(pair);
        if (existing) {
          if (!existing.some((r) => r.id === row.id)) existing.push(row);
        } else {
          pairs.set(pair, [row]);
        }
        if (!vulnerabilities.has(vulnerabilityKey(row.cveId))) {
          const entity = createVulnerabilityEntity(vulnerabilityFromRow(row));
          vulnerabilities.set(entity._key, entity);
        }
      }
      rows += page.length;
      progress(rows);
    }

    const findings = [...vulnerabilities.values()];
    await jobState.addEntities(findings);
    await jobState.addRelationships(findings.map(createVulnerabilityCveRelationship));
    const batch = [];
    for (const rowsOfPair of pairs.values()) {
      batch.push(createMachineVulnerabilityRelationship(rowsOfPair));
      if (batch.length === 5_000) await jobState.addRelationships(batch.splice(0));
    }
    await jobState.addRelationships(batch);
  },
};

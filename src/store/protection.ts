import type { IntegrationRunResult, StepResult } from '../graph/types.js';

/** Current rows of one type and how many of them this run did not see. */
export interface TypeCount {
  type: string;
  current: number;
  unseen: number;
}

export interface HeldBackDeletion {
  kind: 'entity' | 'relationship';
  type: string;
  /** Committed rows that were not seen this run and were kept. */
  count: number;
  reason: string;
}

export interface DeletionPlan {
  entityTypes: string[];
  relationshipTypes: string[];
  heldBack: HeldBackDeletion[];
}

export interface PartialType {
  type: string;
  reason: string;
}

const DEPENDENCY_FAILED = 'partial_success_due_to_dependency_failure';

function stepFailureReason(step: StepResult): string {
  const why = step.reason ?? step.error?.message ?? 'no reason given';
  return step.status === 'failure'
    ? `step "${step.id}" failed: ${why}`
    : `step "${step.id}" depends on a failed step: ${why}`;
}

/**
 * Why each type of this run must not lose rows, from the step results alone: failed steps and their
 * dependants (all declared types), steps' `partial` types, disabled sources.
 */
export function partialTypeReasons(run: IntegrationRunResult): PartialType[] {
  const reasons = new Map<string, string>();
  const note = (type: string, reason: string) => {
    if (!reasons.has(type)) reasons.set(type, reason);
  };
  for (const step of run.stepResults) {
    if (step.status === 'failure' || step.status === DEPENDENCY_FAILED) {
      for (const type of step.declaredTypes) note(type, stepFailureReason(step));
    }
    if (step.status === 'disabled') {
      for (const type of step.declaredTypes)
        note(
          type,
          `step "${step.id}" is disabled: ${step.reason ?? 'source disabled in the instance config'}`,
        );
    } else {
      for (const type of step.partialTypes) note(type, `declared partial by step "${step.id}"`);
    }
  }
  for (const type of run.partialDatasets.types) note(type, "listed in the run's partial datasets");
  for (const type of run.disabledTypes) note(type, 'its source is disabled');
  return [...reasons].map(([type, reason]) => ({ type, reason }));
}

/**
 * Decides, per type, whether unseen committed rows may be marked deleted. Pure: the commit asks it
 * and does what it says. A type held back for a sharp drop also holds back the other types its
 * step declared, so relationships of kept entities are kept too.
 */
export function planDeletions(
  run: IntegrationRunResult,
  counts: { entities: TypeCount[]; relationships: TypeCount[] },
  maxDeleteShare: number,
): DeletionPlan {
  const held = new Map(partialTypeReasons(run).map((p) => [p.type, p.reason]));
  const declared = new Set(run.stepResults.flatMap((s) => s.declaredTypes));
  const all = [
    ...counts.entities.map((c) => ({ kind: 'entity' as const, ...c })),
    ...counts.relationships.map((c) => ({ kind: 'relationship' as const, ...c })),
  ].filter((c) => c.unseen > 0);

  for (const c of all) {
    if (held.has(c.type)) continue;
    if (!declared.has(c.type)) {
      held.set(c.type, 'no step of this run declares the type');
    } else if (c.unseen / c.current > maxDeleteShare) {
      const share = `${Math.round((100 * c.unseen) / c.current)}%`;
      held.set(
        c.type,
        `would delete ${c.unseen} of ${c.current} (${share}), more than the maximum delete share ${maxDeleteShare}`,
      );
      for (const step of run.stepResults.filter((s) => s.declaredTypes.includes(c.type))) {
        for (const sibling of step.declaredTypes) {
          if (!held.has(sibling))
            held.set(
              sibling,
              `declared by step "${step.id}" with "${c.type}", whose deletions are held back`,
            );
        }
      }
    }
  }

  const plan: DeletionPlan = { entityTypes: [], relationshipTypes: [], heldBack: [] };
  for (const c of all) {
    const reason = held.get(c.type);
    if (reason) plan.heldBack.push({ kind: c.kind, type: c.type, count: c.unseen, reason });
    else (c.kind === 'entity' ? plan.entityTypes : plan.relationshipTypes).push(c.type);
  }
  return plan;
}

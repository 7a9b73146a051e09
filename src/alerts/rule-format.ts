/**
 * JupiterOne's alert-rule objects as data: the rule ("inline question rule instance"), the
 * rule-pack rule and its `defaultAlertSettings`, and our change rules. Unknown fields are kept (a
 * rule imports unchanged); the fields we act on are checked.
 */
import { z } from 'zod';
import { POLLING_INTERVALS } from '../config/instance-config.js';

export const ALERT_LEVELS = ['INFO', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

const querySchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_]+$/, 'must be letters, digits or _')
      .optional(),
    query: z.string().min(1),
    version: z.string().optional(),
    includeDeleted: z.boolean().nullish(),
  })
  .loose();

/** A `when`: the array form `[AND|OR, [path, op, value], …]` (or one triple) or `{{template}}`. */
export type ConditionExpression = string | unknown[];

const conditionSchema = z
  .object({
    type: z.literal('FILTER'),
    specVersion: z.number().optional(),
    condition: z.union([z.string(), z.array(z.unknown())]),
  })
  .loose();

export interface Action {
  type: string;
  [field: string]: unknown;
}

const actionSchema: z.ZodType<Action> = z.lazy(() =>
  z
    .object({
      type: z.string().min(1),
      actions: z.array(actionSchema).optional(),
    })
    .loose(),
) as z.ZodType<Action>;

export const operationSchema = z
  .object({
    when: z.union([conditionSchema, z.array(conditionSchema)]).optional(),
    actions: z.array(actionSchema),
  })
  .loose();
export type Operation = z.infer<typeof operationSchema>;

const pollingIntervalSchema = z.enum(POLLING_INTERVALS);

/** The rule object of the API and the `[{instance: …}]` CLI form. */
export const ruleSchema = z
  .object({
    id: z.string().nullish(),
    name: z.string().min(1),
    description: z.string().nullish(),
    version: z.number().nullish(),
    specVersion: z.number().nullish(),
    pollingInterval: pollingIntervalSchema.nullish(),
    question: z
      .object({ queries: z.array(querySchema).min(1) })
      .loose()
      .nullish(),
    questionId: z.string().nullish(),
    templates: z.record(z.string(), z.string()).nullish(),
    outputs: z.array(z.string()).nullish(),
    operations: z.array(operationSchema).nullish(),
    notifyOnFailure: z.boolean().nullish(),
    triggerActionsOnNewEntitiesOnly: z.boolean().nullish(),
    ignorePreviousResults: z.boolean().nullish(),
    labels: z.array(z.object({ labelName: z.string(), labelValue: z.string() }).loose()).nullish(),
    tags: z.array(z.unknown()).nullish(),
  })
  .loose()
  .refine((r) => r.question != null || r.questionId != null, {
    message: 'needs question.queries or questionId',
    path: ['question'],
  });
export type RuleObject = z.infer<typeof ruleSchema>;

/** A rule of a JupiterOne rule pack (jupiterone-alert-rules). */
export const packRuleSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().nullish(),
    queries: z.array(querySchema).min(1),
    alertLevel: z.enum(ALERT_LEVELS).optional(),
    operations: z.array(operationSchema).optional(),
    templates: z.record(z.string(), z.string()).optional(),
    labels: z.array(z.unknown()).optional(),
  })
  .loose();
export type PackRule = z.infer<typeof packRuleSchema>;

/** `defaultAlertSettings` of a rule pack, or an operations-only fragment: defaults for pack rules. */
export const packDefaultsSchema = z
  .object({
    specVersion: z.number().optional(),
    pollingInterval: pollingIntervalSchema.optional(),
    outputs: z.array(z.string()).optional(),
    operations: z.array(operationSchema).min(1),
  })
  .loose();
export type PackDefaults = z.infer<typeof packDefaultsSchema>;

export const CHANGE_KINDS = ['created', 'updated', 'deleted'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Our extension: a rule on the diff of a sync (see docs/monitoring.md "Change rules"). */
export const changeRuleSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().nullish(),
    alertLevel: z.enum(ALERT_LEVELS).default('MEDIUM'),
    change: z
      .object({
        on: z.array(z.enum(CHANGE_KINDS)).min(1),
        object: z.enum(['entity', 'relationship']).default('entity'),
        _type: oneOrMany.optional(),
        _class: oneOrMany.optional(),
        /** Property values every selected change must have after it (before it, when deleted). */
        where: z.record(z.string(), z.unknown()).default({}),
        /** Property values the object had before an update. */
        whereBefore: z.record(z.string(), z.unknown()).default({}),
        /** Updates only: at least one of these properties changed. */
        changedProperties: z.array(z.string().min(1)).optional(),
        /** J1QL: the entity (or the relationship's ends) must be among the query's entities. */
        query: z.string().min(1).optional(),
        fromQuery: z.string().min(1).optional(),
        toQuery: z.string().min(1).optional(),
      })
      .strict(),
    templates: z.record(z.string(), z.string()).optional(),
    operations: z.array(operationSchema).optional(),
    notifyOnFailure: z.boolean().optional(),
    labels: z.array(z.unknown()).optional(),
  })
  .strict();
export type ChangeRule = z.infer<typeof changeRuleSchema>;

/** `defaultAlertSettings` of jupiterone-alert-rules' index.js: what a pack rule is merged with. */
export const PACK_DEFAULTS: PackDefaults = {
  specVersion: 1,
  pollingInterval: 'ONE_DAY',
  outputs: ['queries.query0.total', 'alertLevel'],
  operations: [
    {
      when: { type: 'FILTER', specVersion: 1, condition: '{{queries.query0.total > 0}}' },
      actions: [
        { type: 'SET_PROPERTY', targetProperty: 'alertLevel', targetValue: 'HIGH' },
        { type: 'CREATE_ALERT' },
      ],
    },
  ],
};

/** A loaded rule, ready to store and evaluate. */
export type LoadedRule =
  | { kind: 'query'; name: string; origin: string; rule: RuleObject }
  | { kind: 'change'; name: string; origin: string; rule: ChangeRule };

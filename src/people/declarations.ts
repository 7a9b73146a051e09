/**
 * The people mapping's graph types and its step, as data: the sync reports the step's result, the
 * store's deletion protection reads its declared types, and `docs model` renders them.
 */
import type { EntityDeclaration, RelationshipDeclaration } from '../graph/types.js';
import {
  ENTITIES,
  relationship,
  STEP_IDS,
  type StepDeclaration,
} from '../integration/declarations.js';

/** `employee`/`Person`: the `_type` and `_class` JupiterOne gives uploaded employees. */
export const PERSON = {
  resourceName: 'Person (employee)',
  _type: 'employee',
  _class: ['Person'],
} as const satisfies EntityDeclaration;

export const PEOPLE_RELATIONSHIPS = {
  USER_IS_PERSON: relationship(ENTITIES.USER, 'IS', PERSON),
  LOGON_USER_IS_PERSON: relationship(ENTITIES.LOGON_USER, 'IS', PERSON),
  PERSON_MANAGES_PERSON: relationship(PERSON, 'MANAGES', PERSON),
  PERSON_OWNS_DEVICE: relationship(PERSON, 'OWNS', ENTITIES.DEVICE),
} as const satisfies Record<string, RelationshipDeclaration>;

export const PEOPLE_STEP_ID = 'map-people';

export const PEOPLE_STEP: StepDeclaration = {
  id: PEOPLE_STEP_ID,
  name: 'Map accounts to people',
  entities: [PERSON],
  relationships: Object.values(PEOPLE_RELATIONSHIPS),
  mappedRelationships: [],
  dependsOn: [
    STEP_IDS.ACCOUNT,
    STEP_IDS.USERS,
    STEP_IDS.MACHINES,
    STEP_IDS.LOGON_USERS,
    STEP_IDS.LOGON_USER_IS_USER,
  ],
  permissions: [],
  calls: 'none (reads the roster and this sync’s users, logon users and machines)',
};

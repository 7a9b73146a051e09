import type { Relationship } from '../../graph/types.js';
import {
  createLogonUserIsUserRelationship,
  directoryUserIdentity,
  DirectoryUserIndex,
  logonUserIdentity,
} from '../converters/logon-user-match.js';
import { ENTITIES, STEP_IDS } from '../declarations.js';
import type { IntegrationStep } from '../step.js';
import { declaration } from './declaration.js';

/** Logon user IS directory user, by SID, then sAMAccountName + domain, then UPN prefix. */
export const logonUserIsUserStep: IntegrationStep = {
  ...declaration(STEP_IDS.LOGON_USER_IS_USER),
  async executionHandler({ jobState }) {
    const index = new DirectoryUserIndex();
    await jobState.iterateEntities({ _type: ENTITIES.USER._type }, (u) =>
      index.add(directoryUserIdentity(u)),
    );
    const relationships: Relationship[] = [];
    await jobState.iterateEntities({ _type: ENTITIES.LOGON_USER._type }, (logonUser) => {
      const match = index.match(logonUserIdentity(logonUser));
      if (match) {
        relationships.push(
          createLogonUserIsUserRelationship(
            logonUser,
            { _type: ENTITIES.USER._type, _key: match.userKey },
            match.matchedOn,
          ),
        );
      }
    });
    await jobState.addRelationships(relationships);
  },
};

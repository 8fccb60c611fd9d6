/**
 * Facts about another aggregate that a handler looks up and passes in with a command: a decider sees only its
 * own stream, so cross-aggregate rules ("the default profile must be active") are checked on these.
 */
export interface ProfileFacts {
  exists: boolean;
  active: boolean;
}

import { El } from '../xml/xml';

/** Placeholder: replaced by the schema-driven validator. Returns a violation message or undefined. */
export function validateRequest(env: El): string | undefined {
  void env;
  return undefined;
}

import { ReactNode } from 'react';
import type { ApiProblem } from '../api/client';
import { sentence } from './violations';

/** A problem with a request, announced as it appears; where the API names rules, the rules' words. */
export function ProblemNotice({ problem, children }: { problem: ApiProblem | null; children?: ReactNode }) {
  if (!problem) return null;
  const text =
    problem.violations.length > 0
      ? problem.violations.map((v) => sentence(v.message)).join(' ')
      : problem.message;
  return (
    <div className="notice notice-error" role="alert">
      <p>{text}</p>
      {children}
    </div>
  );
}

/** A quiet confirmation ("Saved."). */
export function StatusNotice({ text }: { text: string | null }) {
  return (
    <p className="notice notice-ok" role="status">
      {text}
    </p>
  );
}

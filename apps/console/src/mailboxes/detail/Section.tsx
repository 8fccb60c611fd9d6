import { ReactNode } from 'react';
import type { Loaded } from '../../ui/use-load';
import { ProblemNotice } from '../../ui/Notice';
import type { Paging } from '../mailbox-query';
import { nextPage, pageNumber, previousPage } from '../mailbox-query';

/** A part of the mailbox page: a region named by its heading, so it is found by name and by heading. */
export function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="panel" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {children}
    </section>
  );
}

/**
 * What a section loaded, or why it has nothing to show: still loading, or the API's problem in its words (a 403
 * names the privilege missing). Sections load on their own, so one refused does not hide the others.
 */
export function Loading<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.problem) return <ProblemNotice problem={loaded.problem} />;
  if (loaded.data === null) return <p role="status">Loading…</p>;
  return <>{children(loaded.data)}</>;
}

/** Forward cursor paging, Previous by the cursors that led here (as the Active Mailboxes list does). */
export function Pager(props: {
  label: string;
  paging: Paging;
  nextCursor: string | null | undefined;
  onChange: (paging: Paging) => void;
}) {
  const { label, paging, nextCursor, onChange } = props;
  if (paging.cursors.length === 0 && !nextCursor) return null;
  return (
    <nav className="pager commands" aria-label={label}>
      <button
        type="button"
        disabled={paging.cursors.length === 0}
        onClick={() => onChange(previousPage(paging))}
      >
        Previous page
      </button>
      <span>Page {pageNumber(paging)}</span>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && onChange(nextPage(paging, nextCursor))}
      >
        Next page
      </button>
    </nav>
  );
}

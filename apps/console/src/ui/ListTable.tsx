import { ReactNode } from 'react';

/**
 * A list as a table: its caption, one column header per column, a row per item and, with no items, one row that
 * says so. `items` null is still loading (nothing to show while `failed`, the problem notice says why).
 */
export function ListTable<T>(props: {
  caption: ReactNode;
  columns: readonly ReactNode[];
  items: readonly T[] | null;
  /** One `<tr>` with a key per item. */
  row: (item: T) => ReactNode;
  /** The text of the row shown for no items; null shows none. */
  empty: ReactNode;
  className?: string;
  /** Wraps the table in a horizontally scrolling box, for wide tables on narrow screens. */
  scroll?: boolean;
  failed?: boolean;
}) {
  const { caption, columns, items, row, empty, className, scroll = false, failed = false } = props;
  if (items === null) return failed ? null : <p>Loading…</p>;
  const table = (
    <table className={className}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column, i) => (
            <th key={i} scope="col">
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map(row)}
        {items.length === 0 && empty !== null && (
          <tr>
            <td colSpan={columns.length}>{empty}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
  return scroll ? <div className="table-scroll">{table}</div> : table;
}

/** The button that reads the next page of a cursor-paged list, while there is one. */
export function LoadMore({ cursor, onLoad }: { cursor: string | null; onLoad: () => Promise<void> }) {
  if (!cursor) return null;
  return (
    <button type="button" onClick={() => void onLoad()}>
      Load more
    </button>
  );
}

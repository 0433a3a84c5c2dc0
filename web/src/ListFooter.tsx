import type { ReactNode } from 'react';
import type { ApiError } from './api.ts';

type FooterProps = {
  items: unknown[];
  loading: boolean;
  error: ApiError | null;
  hasMore: boolean;
  loadMore: () => void;
  empty: ReactNode;
};

/** Under a paged list: its error, "Loading…", what to say when it is empty, or "Load more". */
export function ListFooter({ items, loading, error, hasMore, loadMore, empty }: FooterProps) {
  if (error) {
    return (
      <p className="alert" role="alert">
        {error.message}
      </p>
    );
  }
  if (loading) return <p className="muted">Loading…</p>;
  if (items.length === 0) return <p className="muted">{empty}</p>;
  if (!hasMore) return null;
  return (
    <button type="button" onClick={loadMore}>
      Load more
    </button>
  );
}

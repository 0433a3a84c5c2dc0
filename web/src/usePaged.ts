import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, api, type Page } from './api.ts';
import { asApiError } from './useLoad.ts';

type Paged<T> = {
  items: T[];
  loading: boolean;
  error: ApiError | null;
  hasMore: boolean;
  loadMore: () => void;
  /** The first page again, for a list that knows it changed (a new order arrived, say). */
  reload: () => void;
};

/**
 * A cursor-paginated list: the first page on mount and whenever `path` (with its filters) changes,
 * the next ones on request. A page that arrives for a path no longer shown is dropped.
 */
export function usePaged<T>(path: string): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const current = useRef(path);
  useEffect(() => {
    current.current = path;
  }, [path]);

  const fetchPage = useCallback(
    async (after: string | null, mounted: () => boolean = () => true) => {
      const live = () => mounted() && current.current === path;
      setLoading(true);
      try {
        const url = after
          ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(after)}`
          : path;
        const page = await api<Page<T>>('GET', url);
        if (!live()) return;
        setItems((prev) => (after ? [...prev, ...page.data] : page.data));
        setCursor(page.next_cursor);
        setError(null);
      } catch (err) {
        if (live()) setError(asApiError(err));
      } finally {
        if (live()) setLoading(false);
      }
    },
    [path],
  );

  useEffect(() => {
    let live = true;
    void fetchPage(null, () => live);
    return () => {
      live = false;
    };
  }, [fetchPage]);

  return {
    items,
    loading,
    error,
    hasMore: cursor !== null,
    loadMore: () => void fetchPage(cursor),
    reload: () => void fetchPage(null),
  };
}

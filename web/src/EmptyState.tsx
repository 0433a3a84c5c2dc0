import type { ReactNode } from 'react';

export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <div className="empty">
      <p>{children}</p>
      <p className="muted">Not built yet.</p>
    </div>
  );
}

import type { Severity } from '@netsentry/contracts';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`sev sev-${severity}`}>{severity}</span>;
}

/** Placeholder shown while a widget's data loads (each widget has its own Suspense boundary). */
export function Skeleton({ lines = 3, label }: { lines?: number; label: string }) {
  return (
    <div className="skeleton" aria-busy="true" aria-label={`loading ${label}`}>
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} className="skeleton-line" />
      ))}
    </div>
  );
}

export function FieldErrors({ errors }: { errors: Record<string, string> }) {
  const entries = Object.entries(errors);
  if (!entries.length) return null;
  return (
    <ul className="field-errors" role="alert">
      {entries.map(([k, v]) => (
        <li key={k}>
          <b>{k}</b>: {v} (ignored)
        </li>
      ))}
    </ul>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

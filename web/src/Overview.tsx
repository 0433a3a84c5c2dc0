import { getHealth } from './api.ts';
import { useLoad } from './useLoad.ts';

const CHECK_LABELS: Record<string, string> = {
  database: 'Database',
  migrations: 'Schema migrations',
  workers: 'Workflow workers',
};

export function Overview() {
  const health = useLoad(getHealth);
  return (
    <div className="cards">
      <section className="card" aria-labelledby="health-title">
        <h2 id="health-title">System status</h2>
        {health.state === 'loading' && <p className="muted">Checking…</p>}
        {health.state === 'error' && (
          <p className="alert" role="alert">
            {health.error.message}
          </p>
        )}
        {health.state === 'ok' && (
          <>
            <p className={`status status-${health.data.status}`}>
              {health.data.status === 'ok' ? 'All systems ready' : 'Not ready'}
            </p>
            <ul className="checks">
              {Object.entries(health.data.checks).map(([name, check]) => (
                <li key={name}>
                  <span className={`dot ${check.ok ? 'ok' : 'bad'}`} aria-hidden="true" />
                  <strong>{CHECK_LABELS[name] ?? name}</strong>
                  <span className="sr-only">{check.ok ? 'ok' : 'failing'}</span>
                  <span className="muted">{check.detail}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section className="card" aria-labelledby="api-title">
        <h2 id="api-title">API</h2>
        <p>
          Everything in this dashboard is also in the HTTP API. Authenticate with an API key from{' '}
          <a href="#/users">Users &amp; keys</a>.
        </p>
        <p>
          <a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI document</a>
        </p>
      </section>
    </div>
  );
}

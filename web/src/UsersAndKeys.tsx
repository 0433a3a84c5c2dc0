import type { ApiKey, Role, User } from './api.ts';
import { formatDate } from './format.ts';
import { ListFooter } from './ListFooter.tsx';
import { usePaged } from './usePaged.ts';

export function UsersAndKeys({ role }: { role: Role }) {
  const users = usePaged<User>('/v1/users');
  const keys = usePaged<ApiKey>('/v1/api-keys');

  // The server decides who may see these; a 403 on either means this role cannot.
  if (users.error?.status === 403 || keys.error?.status === 403) {
    return (
      <div className="empty">
        <p>
          Your role (<strong>{role}</strong>) can't see users and API keys. Ask an admin of this tenant if you
          need access.
        </p>
      </div>
    );
  }

  return (
    <>
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {users.items.map((u) => (
                <tr key={u.user_id}>
                  <td>{u.name}</td>
                  <td>{u.email}</td>
                  <td>
                    <span className={`badge role-${u.role}`}>{u.role}</span>
                  </td>
                  <td>{u.disabled ? 'Disabled' : 'Active'}</td>
                  <td>{formatDate(u.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <ListFooter {...users} empty="No users yet." />
      </section>
      <section className="card" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Role</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {keys.items.map((k) => (
                <tr key={k.api_key_id} className={k.revoked_at ? 'revoked' : undefined}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.key_prefix}…</code>
                  </td>
                  <td>
                    <span className={`badge role-${k.role}`}>{k.role}</span>
                  </td>
                  <td>{k.last_used_at ? formatDate(k.last_used_at) : 'Never'}</td>
                  <td>{k.revoked_at ? `Revoked ${formatDate(k.revoked_at)}` : 'Active'}</td>
                  <td>{formatDate(k.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <ListFooter {...keys} empty="No API keys yet." />
      </section>
    </>
  );
}

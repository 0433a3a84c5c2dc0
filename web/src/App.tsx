import { useEffect, useState } from 'react';
import { getMe, handleUnauthorized, type Me } from './api.ts';
import { Shell } from './Shell.tsx';
import { SignIn } from './SignIn.tsx';
import { asApiError } from './useLoad.ts';

type Session = { state: 'checking' } | { state: 'signed-out' } | { state: 'signed-in'; me: Me };

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    handleUnauthorized(() => setSession({ state: 'signed-out' }));
    getMe().then(
      (me) => setSession({ state: 'signed-in', me }),
      (err: unknown) => {
        const error = asApiError(err);
        // 401 is the normal "no session yet"; anything else is worth saying on the sign-in page.
        if (error.status !== 401) setProblem(error.message);
        setSession({ state: 'signed-out' });
      },
    );
  }, []);

  if (session.state === 'checking') return <p className="boot">Loading Orderly…</p>;
  if (session.state === 'signed-out') {
    return (
      <SignIn
        notice={problem}
        onSignedIn={(me) => {
          setProblem(null);
          setSession({ state: 'signed-in', me });
        }}
      />
    );
  }
  return <Shell me={session.me} onSignedOut={() => setSession({ state: 'signed-out' })} />;
}

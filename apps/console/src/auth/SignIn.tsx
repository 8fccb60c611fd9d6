import { FormEvent, useEffect, useState } from 'react';

/**
 * Paste a bearer token of the API (`npm start` prints a sign-in link with the development administrator's; any
 * other comes from `node dist/scripts/issue-token.js`).
 */
export function SignIn({ notice, onSignIn }: { notice: string | null; onSignIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  useEffect(() => {
    document.title = 'Sign in · ssync';
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (token.trim()) onSignIn(token.trim());
  };
  return (
    <main className="sign-in">
      <h1>ssync admin console</h1>
      {notice && (
        <p className="notice notice-error" role="alert">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="sign-in-token">Bearer token</label>
          <input
            id="sign-in-token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-describedby="sign-in-hint"
          />
          <p className="field-hint" id="sign-in-hint">
            The token you use with the API. <code>npm start</code> prints a sign-in link for the development
            administrator.
          </p>
        </div>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}

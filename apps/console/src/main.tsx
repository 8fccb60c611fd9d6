import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { adoptFragmentToken } from './auth/session';
import './styles.css';

// Before anything renders or asks the API: a sign-in link's token leaves the address bar at once.
adoptFragmentToken(window);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

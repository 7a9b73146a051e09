// Entry point: the routes of the UI. Every page's state that matters lives in its URL.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router';
import { Layout } from './Layout';
import { Alerts } from './pages/Alerts';
import { Changes } from './pages/Changes';
import { Entity } from './pages/Entity';
import { Explorer } from './pages/Explorer';
import { Instances } from './pages/Instances';
import { Login } from './pages/Login';
import { Overview } from './pages/Overview';
import { QueryConsole } from './pages/QueryConsole';
import { RequireSession, SessionProvider } from './session';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <Routes>
          <Route path="/login" element={<Login />} />
          <Route
            element={
              <RequireSession>
                <Layout />
              </RequireSession>
            }
          >
            <Route index element={<Overview />} />
            <Route path="explorer" element={<Explorer />} />
            <Route path="query" element={<QueryConsole />} />
            <Route path="entities/:id" element={<Entity />} />
            <Route path="changes" element={<Changes />} />
            <Route path="alerts" element={<Alerts />} />
            <Route path="alerts/:id" element={<Alerts />} />
            <Route path="instances" element={<Instances />} />
            <Route path="*" element={<div className="empty">No such page.</div>} />
          </Route>
        </Routes>
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
);

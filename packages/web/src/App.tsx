import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { useMe } from './api/session.queries.js';
import { Layout } from './components/Layout.js';
import { AcceptInvitationPage } from './pages/AcceptInvitationPage.js';
import { AccountPage } from './pages/AccountPage.js';
import { DashboardPage } from './pages/DashboardPage.js';
import { PreviewPage } from './pages/PreviewPage.js';
import { SignInPage } from './pages/SignInPage.js';
import { TemplatesPage } from './pages/TemplatesPage.js';

// The IDE, the admin console and organization settings are the heavy parts: loaded only on their pages.
const EnvironmentPage = lazy(() => import('./pages/EnvironmentPage.js'));
const AdminPage = lazy(() => import('./pages/AdminPage.js'));
const OrgSettingsPage = lazy(() => import('./pages/OrgSettingsPage.js'));
const AppsPage = lazy(() => import('./features/apps/AppsPage.js'));

export function App() {
  const me = useMe();
  if (me.isPending) return <div className="boot" aria-busy="true" />;
  if (!me.data) return <SignInPage />;
  return (
    <Layout me={me.data}>
      <Suspense fallback={<div className="loading">Loading…</div>}>
        <Routes>
          <Route path="/" element={<DashboardPage me={me.data} />} />
          <Route path="/environments/:id" element={<EnvironmentPage />} />
          <Route path="/templates" element={<TemplatesPage me={me.data} />} />
          <Route path="/apps/*" element={<AppsPage />} />
          <Route path="/account" element={<AccountPage />} />
          <Route path="/orgs/:slug" element={<OrgSettingsPage />} />
          <Route path="/invitations/accept" element={<AcceptInvitationPage />} />
          <Route path="/preview/:id/:port" element={<PreviewPage />} />
          <Route path="/admin/*" element={me.data.isAdmin ? <AdminPage /> : <NotAllowed />} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </Suspense>
    </Layout>
  );
}

function NotAllowed() {
  return (
    <section className="page">
      <h1>Not allowed</h1>
      <p>The admin console is for administrators.</p>
    </section>
  );
}

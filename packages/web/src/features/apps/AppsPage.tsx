import { Navigate, Route, Routes } from 'react-router-dom';
import { AppDetail } from './AppDetail.js';
import { AppsList } from './AppsList.js';
import '../account/account.css';
import '../environments/environments.css';
import './apps.css';

/** Apps, mounted at /apps/*: the list at /apps, one app at /apps/:id. Loaded only on these pages. */
export default function AppsPage() {
  return (
    <Routes>
      <Route index element={<AppsList />} />
      <Route path=":id" element={<AppDetail />} />
      <Route path="*" element={<Navigate to="/apps" replace />} />
    </Routes>
  );
}

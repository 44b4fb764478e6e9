import { Navigate, NavLink, Route, Routes } from 'react-router-dom';
import { AssistantUsageSection } from '../features/admin/AssistantUsageSection.js';
import { AuditSection } from '../features/admin/AuditSection.js';
import { ConfigSection } from '../features/admin/ConfigSection.js';
import { EnvironmentsSection } from '../features/admin/EnvironmentsSection.js';
import { MachineTypesSection } from '../features/admin/MachineTypesSection.js';
import { NodesSection } from '../features/admin/NodesSection.js';
import { UsersSection } from '../features/admin/UsersSection.js';
import { WarmPoolsSection } from '../features/admin/WarmPoolsSection.js';
import '../features/admin/admin.css';

const SECTIONS = [
  { path: 'users', label: 'Users', element: <UsersSection /> },
  { path: 'machine-types', label: 'Machine types', element: <MachineTypesSection /> },
  { path: 'pools', label: 'Warm pools', element: <WarmPoolsSection /> },
  { path: 'nodes', label: 'Nodes', element: <NodesSection /> },
  { path: 'config', label: 'Config', element: <ConfigSection /> },
  { path: 'audit', label: 'Audit log', element: <AuditSection /> },
  { path: 'environments', label: 'Environments', element: <EnvironmentsSection /> },
  { path: 'assistant', label: 'AI assistant usage', element: <AssistantUsageSection /> },
] as const;

/**
 * The admin console, mounted at /admin/*; each section is a sub-route. Links are
 * absolute: inside a splat route a relative link resolves against the splat too.
 */
export default function AdminPage() {
  return (
    <div className="page admin">
      <h1>Admin</h1>
      <nav className="admin-nav" aria-label="Admin sections">
        {SECTIONS.map((s) => (
          <NavLink key={s.path} to={`/admin/${s.path}`}>
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to="/admin/users" replace />} />
        {SECTIONS.map((s) => (
          <Route key={s.path} path={s.path} element={s.element} />
        ))}
        <Route path="*" element={<Navigate to="/admin/users" replace />} />
      </Routes>
    </div>
  );
}

import { AuditSection } from '../admin/audit.section.js';
import { orgKeys } from './orgs.queries.js';
import '../admin/admin.css';

/** The organization's audit trail, for its owners and admins: the admin console's log, read from the organization. */
export function OrgAuditSection({ slug }: { slug: string }) {
  return <AuditSection source={{ url: `/orgs/${encodeURIComponent(slug)}/audit`, queryKey: orgKeys.audit(slug) }} filterable={false} className="card org-section" />;
}

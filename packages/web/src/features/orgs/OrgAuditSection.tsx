import { urlPath } from '../../api/client.js';
import { queryKeys } from '../../api/query-keys.js';
import { AuditSection } from '../admin/AuditSection.js';
import '../admin/admin.css';

/** The organization's audit trail, for its owners and admins: the admin console's log, read from the organization. */
export function OrgAuditSection({ slug }: { slug: string }) {
  return <AuditSection source={{ url: urlPath`/orgs/${slug}/audit`, queryKey: queryKeys.org.audit(slug) }} filterable={false} className="card org-section" />;
}

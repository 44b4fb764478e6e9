import { useMe } from '../api/session.queries.js';
import { QuotaDetails } from '../features/account/QuotaDetails.js';
import { TokensSection } from '../features/account/TokensSection.js';
import { OrganizationsSection } from '../features/orgs/OrganizationsSection.js';
import '../features/account/account.css';
import '../features/environments/environments.css';

export function AccountPage() {
  const me = useMe();
  return (
    <section className="page account">
      <header className="page-head">
        <h1>Account</h1>
      </header>
      <div className="account-grid">
        <div className="account-side">
          <TokensSection />
          <OrganizationsSection />
        </div>
        <div className="account-side">
          {me.data && (
            <>
              <section className="card account-section" aria-labelledby="profile-title">
                <h2 id="profile-title">Profile</h2>
                <dl className="profile-list">
                  <dt>Username</dt>
                  <dd>{me.data.username}</dd>
                  <dt>Email</dt>
                  <dd>{me.data.email ?? <span className="muted">none</span>}</dd>
                  <dt>Role</dt>
                  <dd>{me.data.isAdmin ? 'administrator' : 'user'}</dd>
                </dl>
              </section>
              <QuotaDetails me={me.data} />
            </>
          )}
        </div>
      </div>
    </section>
  );
}

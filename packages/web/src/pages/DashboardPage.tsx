import type { Me } from '@berth/contracts';

export function DashboardPage({ me }: { me: Me }) {
  return (
    <section className="page">
      <h1>DashboardPage</h1>
      <p>Signed in as {me.username}.</p>
    </section>
  );
}

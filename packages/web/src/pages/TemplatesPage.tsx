import type { Me } from '@berth/contracts';

export function TemplatesPage({ me }: { me: Me }) {
  return (
    <section className="page">
      <h1>TemplatesPage</h1>
      <p>Signed in as {me.username}.</p>
    </section>
  );
}

export default function EnvironmentPage() {
  return (
    <section className="page">
      <h1>EnvironmentPage</h1>
    </section>
  );
}

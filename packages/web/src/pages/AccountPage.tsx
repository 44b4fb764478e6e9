export function AccountPage() {
  return (
    <section className="page">
      <h1>Account</h1>
    </section>
  );
}

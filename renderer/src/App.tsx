export function App() {
  return (
    <main>
      <h1>Outbox</h1>
      <p>Drop files on a destination to export them.</p>
    </main>
  );
}

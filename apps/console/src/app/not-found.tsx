import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="card">
      <h1>Not found</h1>
      <p>No such alert or page. <Link href="/alerts">Back to the alerts</Link>.</p>
    </section>
  );
}

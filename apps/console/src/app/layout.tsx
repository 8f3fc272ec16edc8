import type { Metadata } from 'next';
import Link from 'next/link';
import './globals.css';

export const metadata: Metadata = { title: 'NetSentry console', description: 'Alerts, anomalies, flows and sensors' };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top">
          <b>NetSentry</b>
          <nav style={{ display: 'flex', gap: 18 }}>
            <Link href="/">Overview</Link>
            <Link href="/alerts">Alerts</Link>
            <Link href="/anomalies">Anomalies</Link>
            <Link href="/flows">Flows</Link>
            <Link href="/sensors">Sensors</Link>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

// @ts-check
const path = require('node:path');

/** @type {import('next').NextConfig} */
const nextConfig = {
  // The @netsentry libraries are TypeScript sources in the monorepo.
  transpilePackages: ['@netsentry/storage', '@netsentry/contracts', '@netsentry/packets'],
  // TypeORM and pg stay plain Node requires on the server (they load drivers dynamically).
  serverExternalPackages: ['typeorm', 'pg', 'pg-copy-streams', 'reflect-metadata'],
  outputFileTracingRoot: path.join(__dirname, '../..'),
  turbopack: { root: path.join(__dirname, '../..') },
  // Tests run their own server with a separate build folder so they never collide with a dev server.
  distDir: process.env.NETSENTRY_CONSOLE_DIST_DIR || '.next',
  poweredByHeader: false,
  reactStrictMode: true,
};

module.exports = nextConfig;

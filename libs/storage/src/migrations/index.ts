import { InitialSchema1763900000000 } from './1763900000000-initial-schema';

/** Every migration, oldest first (listed, not globbed, so it works from TS sources and bundles). */
export const MIGRATIONS = [InitialSchema1763900000000];

import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { FlowFeaturesArray1796600000000 } from './1796600000000-flow-features-array';
import { FlowFeaturesBytea1796700000000 } from './1796700000000-flow-features-bytea';
import { FlowsTimeKey1796800000000 } from './1796800000000-flows-time-key';
import { AlertSupersededBy1796900000000 } from './1796900000000-alert-superseded-by';
import { AlertIncludes1797000000000 } from './1797000000000-alert-includes';
import { FlowFeaturesPacked1797100000000 } from './1797100000000-flow-features-packed';

/** Every migration, oldest first (listed, not globbed, so it works from TS sources and bundles). */
export const MIGRATIONS = [InitialSchema1763900000000, FlowFeaturesArray1796600000000, FlowFeaturesBytea1796700000000, FlowsTimeKey1796800000000, AlertSupersededBy1796900000000, AlertIncludes1797000000000, FlowFeaturesPacked1797100000000];

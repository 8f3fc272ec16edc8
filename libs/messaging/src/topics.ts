import { Topics, type TopicName } from '@netsentry/contracts';

/**
 * Topic names as a service uses them: the contract names, plus an optional suffix so tests and
 * side-by-side deployments can share one broker without reading each other's messages.
 */
export type TopicMap = { -readonly [K in keyof typeof Topics]: string };

export function topicMap(suffix = ''): TopicMap {
  const out = {} as TopicMap;
  for (const [k, v] of Object.entries(Topics) as [keyof typeof Topics, TopicName][]) out[k] = v + suffix;
  return out;
}

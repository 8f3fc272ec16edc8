export { RuleEngine, RULES, type RuleEngineCounters } from './rule.engine';
export {
  RulesConfig,
  loadRulesConfig,
  parseRulesConfig,
  RulesConfigError,
  DEFAULT_HOME_NET,
  type RulesConfigInput,
  type RulesConfigResult,
} from './config';
export { CidrSet, parseCidr, type Cidr } from './cidr';
export type { IntervalStats, RuleDefinition, RuleInstance, RuleEnv } from './rule';

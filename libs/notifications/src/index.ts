export {
  loadNotificationConfig,
  NotificationConfig,
  EmailConfig,
  WebhookConfig,
  RetryConfig,
  DeliveryConfig,
  SmtpSecurity,
  DEFAULT_RETRY,
  DEFAULT_DELIVERY,
  DEFAULT_SMTP_DEADLINE_MS,
  type ConfigResult,
} from './config';
export { NotificationV1, AlertMessageV1, DigestMessageV1, DIGEST_MAX_ALERTS, renderEmail } from './message';
export { withRetry, backoffDelay, realSleep, type AttemptResult, type RetryPolicy, type DeliveryResult, type Sleep } from './retry';
export { RateLimiter, targetKey, OVERFLOW_TARGET, DEFAULT_RATE_LIMITS, type DueDigest, type RateLimits } from './rate-limiter';
export { DeliveryLane } from './delivery.lane';
export { mailboxAddress } from './mail-address';
export { WebhookChannel, signBody, verifySignature, statusResult, SIGNATURE_HEADER, TIMESTAMP_HEADER, DEFAULT_TOLERANCE_S, type VerifyOptions } from './webhook.channel';
export { EmailChannel } from './email.channel';
export { AlertNotifier, type Channel, type NotifierStats, type NotifierDeps } from './notifier';

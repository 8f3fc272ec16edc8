/** Stable codes of the model layer's expected failures. */
export type ModelErrorCode =
  /** No usable training flows (empty input or no numeric feature shared by all flows). */
  | 'MODEL.NO_TRAINING_DATA'
  /** A training option is out of range. */
  | 'MODEL.BAD_OPTIONS'
  /** Stored JSON does not match the model schema or its forest is damaged. */
  | 'MODEL.BAD_JSON'
  /** The model was trained on a feature list that differs from the running code's. */
  | 'MODEL.FEATURES_MISMATCH';

/** The one error class of the model layer; `code` is stable, `message` is for people. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

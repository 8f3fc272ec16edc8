import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ModelEntity } from './entities';

/** A model to register (the detector's training produces it). */
export interface NewModel {
  /** Default: a random UUID. */
  id?: string;
  sensorGroup: string;
  params: Record<string, unknown>;
  featureStats: Record<string, unknown>;
  quality: Record<string, unknown>;
  /** Serialised model (libs/detection format). */
  blob: Buffer;
  /** Training window in packet time, epoch seconds. */
  trainStart: number;
  trainEnd: number;
}

/** A stored model. */
export interface StoredModel extends Required<Omit<NewModel, 'id'>> {
  id: string;
  version: number;
  active: boolean;
  createdAt: Date;
  activatedAt: Date | null;
}

function toModel(e: ModelEntity): StoredModel {
  return {
    id: e.id,
    version: e.version,
    sensorGroup: e.sensorGroup,
    active: e.active,
    params: e.params,
    featureStats: e.featureStats,
    quality: e.quality,
    blob: e.blob,
    trainStart: e.trainStart,
    trainEnd: e.trainEnd,
    createdAt: e.createdAt,
    activatedAt: e.activatedAt,
  };
}

/** Serialises writers of one sensor group (version numbering, activation) for this transaction. */
async function lockGroup(m: EntityManager, group: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtext('netsentry.models'), hashtext($1))`, [group]);
}

/** Stores a model as the next version of its sensor group, inactive. Returns it. */
export async function saveModel(ds: DataSource, model: NewModel): Promise<StoredModel> {
  return ds.transaction(async (m) => {
    await lockGroup(m, model.sensorGroup);
    const r: { v: number | null }[] = await m.query('SELECT max(version) AS v FROM models WHERE sensor_group = $1', [model.sensorGroup]);
    const repo = m.getRepository(ModelEntity);
    const e = repo.create({
      id: model.id ?? randomUUID(),
      version: (r[0]?.v ?? 0) + 1,
      sensorGroup: model.sensorGroup,
      active: false,
      params: model.params,
      featureStats: model.featureStats,
      quality: model.quality,
      blob: model.blob,
      trainStart: model.trainStart,
      trainEnd: model.trainEnd,
      activatedAt: null,
    });
    // Buffer does not fit TypeORM's deep-partial insert type; the entity is complete.
    await repo.insert(e as unknown as Parameters<typeof repo.insert>[0]);
    const saved = await repo.findOneByOrFail({ id: e.id });
    return toModel(saved);
  });
}

/** Result of an activation: a value, never an exception, for an unknown id. */
export type ActivateResult = { ok: true; model: StoredModel; previous: string | null } | { ok: false; code: 'MODEL.NOT_FOUND' };

/**
 * Makes `id` the one active model of its sensor group, atomically: in one transaction, under the
 * group's advisory lock, the previous model is deactivated and this one activated. Readers see
 * the old model or the new one, never none or two (a partial unique index also forbids two).
 */
export async function activateModel(ds: DataSource, id: string): Promise<ActivateResult> {
  return ds.transaction(async (m) => {
    const repo = m.getRepository(ModelEntity);
    const target = await repo.findOneBy({ id });
    if (!target) return { ok: false, code: 'MODEL.NOT_FOUND' } as const;
    await lockGroup(m, target.sensorGroup);
    // TypeORM answers an UPDATE with [rows, rowCount].
    const [prev]: [{ id: string }[], number] = await m.query(
      'UPDATE models SET active = false WHERE sensor_group = $1 AND active AND id <> $2 RETURNING id',
      [target.sensorGroup, id],
    );
    await m.query('UPDATE models SET active = true, activated_at = now() WHERE id = $1', [id]);
    const model = await repo.findOneByOrFail({ id });
    return { ok: true, model: toModel(model), previous: prev[0]?.id ?? null } as const;
  });
}

/** The active model of a sensor group, or null. */
export async function getActiveModel(ds: DataSource, sensorGroup: string): Promise<StoredModel | null> {
  const e = await ds.getRepository(ModelEntity).findOneBy({ sensorGroup, active: true });
  return e ? toModel(e) : null;
}

/** A model by id, or null. */
export async function getModel(ds: DataSource, id: string): Promise<StoredModel | null> {
  const e = await ds.getRepository(ModelEntity).findOneBy({ id });
  return e ? toModel(e) : null;
}

/** Models of a sensor group (without blobs), newest version first. */
export async function listModels(ds: DataSource, sensorGroup?: string): Promise<Omit<StoredModel, 'blob'>[]> {
  const qb = ds.getRepository(ModelEntity).createQueryBuilder('m').select([
    'm.id', 'm.version', 'm.sensorGroup', 'm.active', 'm.params', 'm.featureStats', 'm.quality',
    'm.trainStart', 'm.trainEnd', 'm.createdAt', 'm.activatedAt',
  ]);
  if (sensorGroup) qb.where('m.sensor_group = :g', { g: sensorGroup });
  qb.orderBy('m.sensor_group', 'ASC').addOrderBy('m.version', 'DESC');
  return (await qb.getMany()).map((e) => {
    const { blob: _blob, ...rest } = toModel(e);
    return rest;
  });
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first schema: flows, alerts, anomalies, stats, sensors, models and the indexes the console
 * queries use (time ranges, host, type, severity). Times are epoch seconds in double precision so
 * the microseconds of packet timestamps round-trip exactly; `*_at` columns are wall clock.
 */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE flows (
        id text PRIMARY KEY,
        sensor text NOT NULL,
        proto smallint NOT NULL,
        src_ip inet NOT NULL,
        src_port integer NOT NULL,
        dst_ip inet NOT NULL,
        dst_port integer NOT NULL,
        vlan smallint NOT NULL,
        vlan_inner smallint NOT NULL,
        start_ts double precision NOT NULL,
        end_ts double precision NOT NULL,
        end_reason text NOT NULL,
        state text NOT NULL,
        service text NOT NULL,
        fwd_packets bigint NOT NULL,
        bwd_packets bigint NOT NULL,
        fwd_bytes bigint NOT NULL,
        bwd_bytes bigint NOT NULL,
        features jsonb NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX flows_start_idx ON flows (start_ts)`);
    await q.query(`CREATE INDEX flows_src_start_idx ON flows (src_ip, start_ts)`);
    await q.query(`CREATE INDEX flows_dst_start_idx ON flows (dst_ip, start_ts)`);
    await q.query(`CREATE INDEX flows_sensor_start_idx ON flows (sensor, start_ts)`);
    await q.query(`CREATE INDEX flows_stored_idx ON flows (stored_at)`); // retention

    await q.query(`
      CREATE TABLE alerts (
        id text PRIMARY KEY,
        type text NOT NULL,
        severity text NOT NULL,
        severity_rank smallint NOT NULL,
        sources text[] NOT NULL,
        targets text[] NOT NULL,
        source_count integer,
        target_count integer,
        start_ts double precision NOT NULL,
        end_ts double precision NOT NULL,
        summary text NOT NULL,
        evidence jsonb NOT NULL,
        rule text,
        sensor text NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        revisions integer NOT NULL DEFAULT 0
      )`);
    await q.query(`CREATE INDEX alerts_end_idx ON alerts (end_ts)`);
    await q.query(`CREATE INDEX alerts_type_end_idx ON alerts (type, end_ts)`);
    await q.query(`CREATE INDEX alerts_severity_end_idx ON alerts (severity_rank, end_ts)`);
    // "Alerts involving host X": sources @> ARRAY[X] OR targets @> ARRAY[X] uses these.
    await q.query(`CREATE INDEX alerts_sources_gin ON alerts USING gin (sources)`);
    await q.query(`CREATE INDEX alerts_targets_gin ON alerts USING gin (targets)`);
    await q.query(`CREATE INDEX alerts_updated_idx ON alerts (updated_at)`); // retention

    await q.query(`
      CREATE TABLE anomalies (
        id text PRIMARY KEY,
        flow_id text NOT NULL,
        sensor text NOT NULL,
        proto smallint NOT NULL,
        src_ip inet NOT NULL,
        src_port integer NOT NULL,
        dst_ip inet NOT NULL,
        dst_port integer NOT NULL,
        start_ts double precision NOT NULL,
        end_ts double precision NOT NULL,
        score double precision NOT NULL,
        severity text NOT NULL,
        severity_rank smallint NOT NULL,
        model_id text NOT NULL,
        model_version integer NOT NULL,
        top_features jsonb NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX anomalies_start_idx ON anomalies (start_ts)`);
    await q.query(`CREATE INDEX anomalies_severity_start_idx ON anomalies (severity_rank, start_ts)`);
    await q.query(`CREATE INDEX anomalies_src_start_idx ON anomalies (src_ip, start_ts)`);
    await q.query(`CREATE INDEX anomalies_dst_start_idx ON anomalies (dst_ip, start_ts)`);
    await q.query(`CREATE INDEX anomalies_stored_idx ON anomalies (stored_at)`); // retention

    await q.query(`
      CREATE TABLE stats (
        sensor text NOT NULL,
        interval_start double precision NOT NULL,
        entity_kind text NOT NULL,
        entity_key text NOT NULL,
        interval_s double precision NOT NULL,
        instance text NOT NULL,
        payload jsonb NOT NULL,
        stored_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (sensor, interval_start, entity_kind, entity_key)
      )`);
    await q.query(`CREATE INDEX stats_kind_key_start_idx ON stats (entity_kind, entity_key, interval_start)`);
    await q.query(`CREATE INDEX stats_start_idx ON stats (interval_start)`);
    await q.query(`CREATE INDEX stats_stored_idx ON stats (stored_at)`); // retention

    await q.query(`
      CREATE TABLE sensors (
        sensor text PRIMARY KEY,
        status text NOT NULL,
        sent_at double precision NOT NULL,
        heartbeat jsonb NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE models (
        id text PRIMARY KEY,
        version integer NOT NULL,
        sensor_group text NOT NULL,
        active boolean NOT NULL DEFAULT false,
        params jsonb NOT NULL,
        feature_stats jsonb NOT NULL,
        quality jsonb NOT NULL,
        blob bytea NOT NULL,
        train_start double precision NOT NULL,
        train_end double precision NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX models_group_version_uq ON models (sensor_group, version)`);
    // The database itself guarantees one active model per sensor group.
    await q.query(`CREATE UNIQUE INDEX models_one_active_per_group ON models (sensor_group) WHERE active`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['models', 'sensors', 'stats', 'anomalies', 'alerts', 'flows']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}

/**
 * The manager's schema, as ordered migrations run at start-up by kysely's
 * Migrator (which takes a database lock, so several managers starting at once
 * migrate exactly once). Never edit a released migration: add a new one.
 */
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { coveredDnsNamesOfRow } from '../share/x509/index.js';

const TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    const statements = [
      `CREATE TABLE logs (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(64) NOT NULL,
        category VARCHAR(32) NOT NULL,
        url VARCHAR(512) NOT NULL,
        public_key TEXT NULL,
        in_catalogue TINYINT NOT NULL DEFAULT 1,
        available TINYINT NOT NULL DEFAULT 0,
        last_error VARCHAR(1000) NULL,
        checked_at DATETIME(3) NULL,
        next_check_at DATETIME(3) NULL,
        tree_size BIGINT NULL,
        sth_timestamp BIGINT NULL,
        page_size BIGINT NULL,
        target_start BIGINT NOT NULL DEFAULT 0,
        target_end BIGINT NULL,
        target_mode VARCHAR(16) NULL,
        target_note VARCHAR(1000) NULL,
        next_index BIGINT NOT NULL DEFAULT 0,
        scanned BIGINT NOT NULL DEFAULT 0,
        certificates BIGINT NOT NULL DEFAULT 0,
        sightings BIGINT NOT NULL DEFAULT 0,
        min_interval_ms BIGINT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY logs_name (name),
        UNIQUE KEY logs_url (url),
        KEY logs_category (category)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE ranges (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        log_id BIGINT NOT NULL,
        start_index BIGINT NOT NULL,
        end_index BIGINT NOT NULL,
        state VARCHAR(16) NOT NULL,
        resume_from BIGINT NOT NULL,
        current_lease_id BIGINT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        updated_at DATETIME(3) NOT NULL,
        UNIQUE KEY ranges_log_start (log_id, start_index),
        KEY ranges_state_log (state, log_id),
        CONSTRAINT ranges_log FOREIGN KEY (log_id) REFERENCES logs (id),
        CONSTRAINT ranges_bounds CHECK (start_index <= end_index AND resume_from >= start_index)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE workers (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        worker_uid VARCHAR(64) NOT NULL,
        friend_name VARCHAR(64) NOT NULL,
        version VARCHAR(32) NOT NULL,
        state VARCHAR(16) NOT NULL,
        registered_at DATETIME(3) NOT NULL,
        last_ping_at DATETIME(3) NOT NULL,
        collected BIGINT NOT NULL DEFAULT 0,
        uploaded_items BIGINT NOT NULL DEFAULT 0,
        spool_backlog BIGINT NOT NULL DEFAULT 0,
        rate_limited BIGINT NOT NULL DEFAULT 0,
        UNIQUE KEY workers_uid (worker_uid),
        KEY workers_state_ping (state, last_ping_at)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE leases (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        range_id BIGINT NOT NULL,
        log_id BIGINT NOT NULL,
        worker_id BIGINT NOT NULL,
        start_index BIGINT NOT NULL,
        end_index BIGINT NOT NULL,
        confirmed BIGINT NOT NULL,
        state VARCHAR(16) NOT NULL,
        rate DOUBLE NOT NULL DEFAULT 0,
        created_at DATETIME(3) NOT NULL,
        last_progress_at DATETIME(3) NOT NULL,
        ended_at DATETIME(3) NULL,
        KEY leases_worker_state (worker_id, state),
        KEY leases_state_log (state, log_id),
        KEY leases_range (range_id),
        CONSTRAINT leases_range FOREIGN KEY (range_id) REFERENCES ranges (id),
        CONSTRAINT leases_worker FOREIGN KEY (worker_id) REFERENCES workers (id)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE certificates (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        identity BINARY(32) NOT NULL,
        log_name VARCHAR(64) NOT NULL,
        friend_name VARCHAR(64) NOT NULL,
        leaf_index BIGINT NOT NULL,
        leaf_timestamp BIGINT NOT NULL,
        issuer_dn TEXT NOT NULL,
        subject_dn TEXT NOT NULL,
        common_name VARCHAR(1024) NULL,
        issuer_cn VARCHAR(1024) NULL,
        issuer_org VARCHAR(1024) NULL,
        san_dns MEDIUMTEXT NOT NULL,
        jp_names MEDIUMTEXT NOT NULL,
        serial_hex VARCHAR(128) NOT NULL,
        not_before DATETIME NOT NULL,
        not_after DATETIME NOT NULL,
        validity_days BIGINT NOT NULL,
        key_algorithm VARCHAR(32) NOT NULL,
        key_size BIGINT NULL,
        signature_algorithm VARCHAR(64) NOT NULL,
        spki_sha256 BINARY(32) NOT NULL,
        validation_level VARCHAR(16) NOT NULL,
        cert_sha256 BINARY(32) NULL,
        precert_tbs_sha256 BINARY(32) NULL,
        seen_precert TINYINT NOT NULL,
        seen_final TINYINT NOT NULL,
        fields MEDIUMTEXT NOT NULL,
        upload_tag BINARY(16) NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY certificates_identity (identity),
        KEY certificates_not_before (not_before),
        KEY certificates_common_name (common_name(191))
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE sightings (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        log_id BIGINT NOT NULL,
        leaf_index BIGINT NOT NULL,
        certificate_id BIGINT NULL,
        entry_type VARCHAR(16) NOT NULL,
        leaf_timestamp BIGINT NOT NULL,
        leaf_hash BINARY(32) NOT NULL,
        worker_id BIGINT NULL,
        lease_id BIGINT NULL,
        friend_name VARCHAR(64) NOT NULL,
        parse_error VARCHAR(1000) NULL,
        upload_tag BINARY(16) NOT NULL,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        UNIQUE KEY sightings_log_index (log_id, leaf_index),
        KEY sightings_certificate (certificate_id)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE daily_counts (
        log_id BIGINT NOT NULL,
        day DATE NOT NULL,
        sightings BIGINT NOT NULL DEFAULT 0,
        certificates BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (log_id, day)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE tokens (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        friend_name VARCHAR(64) NOT NULL,
        token_sha256 BINARY(32) NOT NULL,
        is_admin TINYINT NOT NULL DEFAULT 0,
        created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
        revoked_at DATETIME(3) NULL,
        last_used_at DATETIME(3) NULL,
        UNIQUE KEY tokens_hash (token_sha256),
        KEY tokens_friend (friend_name)
      ) ${TABLE_OPTIONS}`,
      `CREATE TABLE settings (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
      ) ${TABLE_OPTIONS}`,
    ];
    for (const statement of statements) await sql.raw(statement).execute(db);
  },
};

/**
 * Per-log counters move to sharded rows: every ping and upload adds to one of
 * LOG_COUNTER_SHARDS rows of its log chosen at random, so concurrent
 * transactions do not queue on one hot row; readers sum the shards.
 */
const logCounters: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`CREATE TABLE log_counters (
        log_id BIGINT NOT NULL,
        shard TINYINT NOT NULL,
        scanned BIGINT NOT NULL DEFAULT 0,
        certificates BIGINT NOT NULL DEFAULT 0,
        sightings BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (log_id, shard)
      ) ${TABLE_OPTIONS}`).execute(db);
    await sql.raw('INSERT INTO log_counters (log_id, shard, scanned, certificates, sightings) SELECT id, 0, scanned, certificates, sightings FROM logs').execute(db);
    await sql.raw('ALTER TABLE logs DROP COLUMN scanned, DROP COLUMN certificates, DROP COLUMN sightings').execute(db);
  },
};

/** Fresh ranges are cut ahead and claimed in index order per log. */
const rangesByStart: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw('ALTER TABLE ranges DROP INDEX ranges_state_log, ADD INDEX ranges_state_log_start (state, log_id, start_index)').execute(db);
  },
};

/** Certificates read per backfill step, and name rows per INSERT. */
export const NAMES_BACKFILL_BATCH = 2000;

/**
 * Fill certificate_names from existing certificates rows, in id order and in batches of
 * autocommitted statements, so a table of tens of millions of rows never becomes one huge
 * transaction. Idempotent and resumable: INSERT IGNORE on the primary key, starting again at the
 * highest certificate already indexed (that one is redone, its names may have been cut between two
 * statements).
 */
export async function backfillCertificateNames<DB>(db: Kysely<DB>, batch = NAMES_BACKFILL_BATCH): Promise<number> {
  const done = await sql<{ m: number | string | null }>`SELECT MAX(certificate_id) AS m FROM certificate_names`.execute(db);
  let after = done.rows[0]?.m === null || done.rows[0]?.m === undefined ? 0 : Number(done.rows[0].m) - 1;
  let inserted = 0;
  for (;;) {
    const { rows } = await sql<{ id: number; common_name: string | null; san_dns: string }>`
      SELECT id, common_name, san_dns FROM certificates WHERE id > ${after} ORDER BY id LIMIT ${batch}`.execute(db);
    if (rows.length === 0) return inserted;
    const names = rows.flatMap((r) => coveredDnsNamesOfRow(String(r.san_dns), r.common_name).map((name) => [Number(r.id), name] as const));
    for (let i = 0; i < names.length; i += batch) {
      const part = names.slice(i, i + batch);
      const res = await sql`INSERT IGNORE INTO certificate_names (certificate_id, name) VALUES ${sql.join(part.map(([id, name]) => sql`(${id}, ${name})`))}`.execute(db);
      inserted += Number(res.numAffectedRows ?? 0);
    }
    after = Number(rows[rows.length - 1].id);
  }
}

/**
 * One row per (certificate, DNS name it covers), for GET /domains/{name}/certificates: exact names
 * and the wildcard over a name are equality look-ups (on `name_rev` since 0013); the names under a domain are a
 * prefix range on `name_rev`, the name reversed character by character (`pj.elpmaxe.www`), which
 * the database computes itself so it can never disagree with `name`. The primary key leads with
 * certificate_id: the ingest appends in id order, and the backfill resumes from its maximum.
 */
const certificateNames: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`CREATE TABLE IF NOT EXISTS certificate_names (
        certificate_id BIGINT NOT NULL,
        name VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
        name_rev VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin AS (REVERSE(name)) STORED,
        PRIMARY KEY (certificate_id, name),
        KEY certificate_names_name (name),
        KEY certificate_names_name_rev (name_rev)
      ) ${TABLE_OPTIONS}`).execute(db);
    await backfillCertificateNames(db);
  },
};

/** The catalogue's shut_down mark, kept with in_catalogue so that every manager on the database sees it. */
const logsShutDown: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw('ALTER TABLE logs ADD COLUMN shut_down TINYINT NOT NULL DEFAULT 0 AFTER in_catalogue').execute(db);
  },
};

/** Workers prove the entries of a lease are in the log's tree; the verdict is kept per lease and counted per log. */
const leaseVerification: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`ALTER TABLE leases
        ADD COLUMN verification VARCHAR(16) NULL,
        ADD COLUMN verified_tree_size BIGINT NULL,
        ADD COLUMN verification_note VARCHAR(500) NULL`).execute(db);
    await sql.raw(`ALTER TABLE log_counters
        ADD COLUMN verified BIGINT NOT NULL DEFAULT 0,
        ADD COLUMN verification_failures BIGINT NOT NULL DEFAULT 0`).execute(db);
  },
};

/**
 * Logs read by tiles: the catalogue's api (rfc6962 or static-ct-api), submission URL and the
 * checkpoint origin derived from it, data_tiles (an RFC 6962 log that also serves data tiles) and
 * temporal interval, kept with the other catalogue columns so that every manager on the database
 * sees them.
 */
const logsTiled: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`ALTER TABLE logs
        ADD COLUMN api VARCHAR(16) NOT NULL DEFAULT 'rfc6962' AFTER url,
        ADD COLUMN submission_url VARCHAR(512) NULL AFTER api,
        ADD COLUMN checkpoint_origin VARCHAR(512) NULL AFTER submission_url,
        ADD COLUMN data_tiles TINYINT NOT NULL DEFAULT 0 AFTER checkpoint_origin,
        ADD COLUMN temporal_interval_start DATETIME(3) NULL AFTER data_tiles,
        ADD COLUMN temporal_interval_end DATETIME(3) NULL AFTER temporal_interval_start`).execute(db);
  },
};

/**
 * Shut-down logs read elsewhere: the catalogue's mirrors and archives (JSON arrays) and final tree
 * head; the root of the largest verified tree head (tree_size), which every later tree head of the
 * log must extend; and where the log is read from now (origin, a mirror, or its archives).
 */
const logsReadFrom: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`ALTER TABLE logs
        ADD COLUMN mirrors TEXT NULL AFTER temporal_interval_end,
        ADD COLUMN archives TEXT NULL AFTER mirrors,
        ADD COLUMN final_tree_size BIGINT NULL AFTER archives,
        ADD COLUMN final_root_hash VARCHAR(44) NULL AFTER final_tree_size,
        ADD COLUMN root_hash VARCHAR(44) NULL AFTER sth_timestamp,
        ADD COLUMN read_from VARCHAR(16) NOT NULL DEFAULT 'origin' AFTER root_hash,
        ADD COLUMN read_url VARCHAR(512) NULL AFTER read_from,
        ADD COLUMN read_archives MEDIUMTEXT NULL AFTER read_url`).execute(db);
  },
};

/**
 * The coverage ledger: one row per stretch a worker confirmed (ping, completion, termination), with
 * the CT timestamps of its first and last entries, so that what was looked at, and when the
 * certificates in it were logged, outlives the leases' single confirmed position. Indexed by
 * (log_id, start_index): the report reads a log's stretches in index order, and a completion marks
 * its lease's rows proven through the same index.
 */
const coverage: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`CREATE TABLE IF NOT EXISTS coverage (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        log_id BIGINT NOT NULL,
        lease_id BIGINT NOT NULL,
        worker_id BIGINT NOT NULL,
        start_index BIGINT NOT NULL,
        end_index BIGINT NOT NULL,
        first_timestamp BIGINT NULL,
        last_timestamp BIGINT NULL,
        proven TINYINT NOT NULL DEFAULT 0,
        created_at DATETIME(3) NOT NULL,
        KEY coverage_log_start (log_id, start_index),
        CONSTRAINT coverage_bounds CHECK (start_index <= end_index)
      ) ${TABLE_OPTIONS}`).execute(db);
  },
};

/** The status's rates read the last hour of the ledger (repositories/rates.ts): by time, not by log. */
const coverageByTime: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw('ALTER TABLE coverage ADD INDEX coverage_created (created_at)').execute(db);
  },
};

/**
 * The committed length of each raw leaf file (ingest/leaf-store.ts): an upload's transaction
 * reserves its bytes at the end of the file here and writes them before it commits, so that after
 * any crash the bytes past this length are exactly those no transaction committed. Keyed by the
 * data directory's store id, because managers sharing the database may each keep their own files.
 */
const leafFiles: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`CREATE TABLE IF NOT EXISTS leaf_files (
        store_id CHAR(32) NOT NULL,
        file VARCHAR(255) NOT NULL,
        bytes BIGINT NOT NULL,
        PRIMARY KEY (store_id, file)
      ) ${TABLE_OPTIONS}`).execute(db);
  },
};

/**
 * Audits, rescans and quarantine (docs/manager-api.md, "Audits"). Leases gain their kind ('scan',
 * or a second scan of a range: 'audit', 'rescan'), whether they were selected at hand-out for an
 * audit (`audited`), whether their reported items are recorded (`compared`), the audit they serve
 * (`audit_id`) and the root hash a worker may report with its verdict. `audits` holds one row per
 * range that needs a second (or third) scan; `lease_reports` the (index, leaf hash) each compared
 * lease reported, duplicates included; workers carry the flag an audit may raise, and sightings and
 * certificates a quarantine mark (indexed with the log and index, so that the few quarantined rows
 * are found without reading the tables).
 */
const audits: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw(`ALTER TABLE leases
        ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'scan',
        ADD COLUMN audited TINYINT NOT NULL DEFAULT 0,
        ADD COLUMN compared TINYINT NOT NULL DEFAULT 0,
        ADD COLUMN audit_id BIGINT NULL,
        ADD COLUMN verified_root_hash VARCHAR(44) NULL,
        ADD INDEX leases_audit (audit_id),
        ADD INDEX leases_kind_log (kind, log_id)`).execute(db);
    await sql.raw(`CREATE TABLE IF NOT EXISTS audits (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        log_id BIGINT NOT NULL,
        range_id BIGINT NOT NULL,
        lease_id BIGINT NOT NULL,
        kind VARCHAR(16) NOT NULL,
        reason VARCHAR(16) NOT NULL,
        start_index BIGINT NOT NULL,
        end_index BIGINT NOT NULL,
        state VARCHAR(16) NOT NULL,
        stage TINYINT NOT NULL DEFAULT 2,
        attempts INT NOT NULL DEFAULT 0,
        proven TINYINT NOT NULL DEFAULT 0,
        current_lease_id BIGINT NULL,
        note VARCHAR(1000) NULL,
        created_at DATETIME(3) NOT NULL,
        updated_at DATETIME(3) NOT NULL,
        KEY audits_state_log (state, log_id),
        KEY audits_log (log_id),
        KEY audits_lease (lease_id),
        CONSTRAINT audits_bounds CHECK (start_index <= end_index)
      ) ${TABLE_OPTIONS}`).execute(db);
    await sql.raw(`CREATE TABLE IF NOT EXISTS lease_reports (
        lease_id BIGINT NOT NULL,
        leaf_index BIGINT NOT NULL,
        leaf_hash BINARY(32) NOT NULL,
        PRIMARY KEY (lease_id, leaf_index),
        KEY lease_reports_index (leaf_index)
      ) ${TABLE_OPTIONS}`).execute(db);
    await sql.raw(`ALTER TABLE workers
        ADD COLUMN flagged_at DATETIME(3) NULL,
        ADD COLUMN flag_reason VARCHAR(1000) NULL,
        ADD COLUMN flag_evidence MEDIUMTEXT NULL`).execute(db);
    await sql.raw('ALTER TABLE sightings ADD COLUMN quarantined TINYINT NOT NULL DEFAULT 0, ADD INDEX sightings_quarantined (quarantined, log_id, leaf_index)').execute(db);
    await sql.raw('ALTER TABLE certificates ADD COLUMN quarantined TINYINT NOT NULL DEFAULT 0, ADD INDEX certificates_quarantined (quarantined)').execute(db);
  },
};

/**
 * Exact and wildcard look-ups of certificate_names use `name_rev` too (a name is equal exactly when
 * its reversal is), so the index on `name` goes: it was a third B-tree to update for every one of
 * the about ten names each new certificate brings, a fifth of the ingest's database time.
 */
const namesByReversalOnly: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql.raw('ALTER TABLE certificate_names DROP INDEX IF EXISTS certificate_names_name').execute(db);
  },
};

export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_log_counters': logCounters,
  '0003_ranges_by_start': rangesByStart,
  '0004_certificate_names': certificateNames,
  '0005_logs_shut_down': logsShutDown,
  '0006_lease_verification': leaseVerification,
  '0007_logs_tiled': logsTiled,
  '0008_logs_read_from': logsReadFrom,
  '0009_coverage': coverage,
  '0010_coverage_by_time': coverageByTime,
  '0011_leaf_files': leafFiles,
  '0012_audits': audits,
  '0013_names_by_reversal_only': namesByReversalOnly,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};

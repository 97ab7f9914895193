import GRDB

/// The store's schema, as migrations. A migration that has shipped is never edited: change
/// the schema by appending a new one (`AppDatabase` backs the file up before it runs).
enum StoreMigrations {
    static var main: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 diary, sensors, episodes, alerts, deliveries, health, summaries") { db in
            // Every reliable message stored, by envelope id: the same message twice is one row.
            try db.execute(
                sql: """
                    CREATE TABLE received_message (
                        messageId BLOB PRIMARY KEY NOT NULL,
                        source TEXT NOT NULL,
                        type TEXT NOT NULL,
                        storedAt REAL NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE diary_entry (
                        entryId TEXT PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        at REAL NOT NULL,
                        recordedAt REAL NOT NULL,
                        via TEXT NOT NULL,
                        messageId BLOB NOT NULL,
                        site TEXT,
                        spasmType TEXT,
                        severity INTEGER,
                        pain INTEGER,
                        nrs INTEGER,
                        psfs INTEGER,
                        targetEntryId TEXT,
                        episodeId TEXT,
                        wasSpasm INTEGER,
                        json BLOB NOT NULL
                    );
                    CREATE INDEX diary_entry_at ON diary_entry(person, at);
                    CREATE INDEX diary_entry_target ON diary_entry(targetEntryId) WHERE targetEntryId IS NOT NULL;
                    CREATE INDEX diary_entry_episode ON diary_entry(episodeId) WHERE episodeId IS NOT NULL;

                    -- Corrections applied: what a person's diary says now. Originals stay in diary_entry.
                    CREATE VIEW diary_entry_effective AS
                    SELECT e.* FROM diary_entry e
                    WHERE e.kind <> 'correction'
                      AND NOT EXISTS (SELECT 1 FROM diary_entry c
                                      WHERE c.kind = 'correction' AND c.targetEntryId = e.entryId);

                    CREATE TABLE sensor (
                        sensorId TEXT PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        placement TEXT NOT NULL,
                        sampleRate REAL NOT NULL,
                        channels INTEGER NOT NULL,
                        via TEXT NOT NULL,
                        producer TEXT,
                        firstSeen REAL NOT NULL,
                        lastSeen REAL NOT NULL
                    );

                    CREATE TABLE episode (
                        episodeId TEXT PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        sensorId TEXT NOT NULL,
                        site TEXT,
                        start REAL NOT NULL,
                        "end" REAL,
                        detectedAt REAL NOT NULL,
                        confidence REAL NOT NULL,
                        peak REAL,
                        dominantFrequencyHz REAL
                    ) WITHOUT ROWID;
                    CREATE INDEX episode_start ON episode(person, start);

                    -- Episodes with the person's answer to "was this a spasm?" (the latest one).
                    CREATE VIEW episode_confirmed AS
                    SELECT ep.*,
                           (SELECT d.wasSpasm FROM diary_entry_effective d
                            WHERE d.kind = 'confirmation' AND d.episodeId = ep.episodeId
                            ORDER BY d.recordedAt DESC LIMIT 1) AS confirmed
                    FROM episode ep;

                    CREATE TABLE alert (
                        alertId TEXT PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        severity TEXT NOT NULL,
                        at REAL NOT NULL,
                        site TEXT,
                        json BLOB NOT NULL
                    );
                    CREATE INDEX alert_at ON alert(person, at);

                    CREATE TABLE acknowledgement (
                        messageId BLOB PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        alertId TEXT NOT NULL,
                        at REAL NOT NULL,
                        json BLOB NOT NULL
                    );
                    CREATE INDEX acknowledgement_alert ON acknowledgement(alertId);

                    CREATE TABLE delivery (
                        deliveryId TEXT PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        at REAL NOT NULL,
                        json BLOB NOT NULL
                    );
                    CREATE INDEX delivery_at ON delivery(at);
                    CREATE TABLE delivery_alert (
                        deliveryId TEXT NOT NULL,
                        alertId TEXT NOT NULL,
                        outcome TEXT NOT NULL,
                        PRIMARY KEY (alertId, deliveryId)
                    ) WITHOUT ROWID;

                    -- The latest heartbeat of each service instance.
                    CREATE TABLE service_health (
                        instance TEXT PRIMARY KEY NOT NULL,
                        service TEXT NOT NULL,
                        lastSeen REAL NOT NULL,
                        json BLOB NOT NULL
                    );

                    -- Per-minute, per-sensor summaries, kept for good.
                    CREATE TABLE sensor_minute (
                        sensorId TEXT NOT NULL,
                        minute REAL NOT NULL,
                        kind TEXT NOT NULL,
                        samples INTEGER NOT NULL,
                        rms REAL NOT NULL,
                        peak REAL NOT NULL,
                        dominantFrequencyHz REAL,
                        PRIMARY KEY (sensorId, minute)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2 interrupted episodes") { db in
            // 1: detection stopped while the episode was open; "end" is when it last saw the sensor.
            try db.execute(sql: "ALTER TABLE episode ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v3 help requests") { db in
            // "I need help" (HelpRequest), kept like acknowledgements.
            try db.execute(
                sql: """
                    CREATE TABLE help_request (
                        messageId BLOB PRIMARY KEY NOT NULL,
                        person TEXT NOT NULL,
                        alertId TEXT NOT NULL,
                        at REAL NOT NULL,
                        json BLOB NOT NULL
                    );
                    CREATE INDEX help_request_alert ON help_request(alertId);
                    """)
        }
        migrator.registerMigration("v4-refusal refused messages") { db in
            // Reliable messages storage refused (a body that breaks its sender's rules), by
            // envelope id: the same message again is answered again but counted once.
            try db.execute(
                sql: """
                    CREATE TABLE refused_message (
                        messageId BLOB PRIMARY KEY NOT NULL,
                        source TEXT NOT NULL,
                        type TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        refusedAt REAL NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v5-page undone undos") { db in
            // An undo can itself be undone (a redo): a correction another correction retracts
            // no longer takes effect. Down each chain from its newest correction, every
            // second one (depth 0, 2, …) is in effect and hides its target.
            try db.execute(
                sql: """
                    DROP VIEW diary_entry_effective;
                    CREATE VIEW diary_entry_effective AS
                    WITH RECURSIVE chain(entryId, targetEntryId, depth) AS (
                        SELECT c.entryId, c.targetEntryId, 0 FROM diary_entry c
                        WHERE c.kind = 'correction'
                          AND NOT EXISTS (SELECT 1 FROM diary_entry x WHERE x.kind = 'correction' AND x.targetEntryId = c.entryId)
                        UNION ALL
                        SELECT t.entryId, t.targetEntryId, chain.depth + 1 FROM chain
                        JOIN diary_entry t ON t.entryId = chain.targetEntryId AND t.kind = 'correction'
                        WHERE chain.depth < 100
                    )
                    SELECT e.* FROM diary_entry e
                    WHERE e.kind <> 'correction'
                      AND NOT EXISTS (SELECT 1 FROM chain WHERE chain.targetEntryId = e.entryId AND chain.depth % 2 = 0);
                    """)
        }
        migrator.registerMigration("v6-mqtt test episodes") { db in
            // 1: detected on a test sensor (a replay, a simulation, an example). Home
            // Assistant's "spasms today" and its catch-up after a restart leave these out.
            try db.execute(sql: "ALTER TABLE episode ADD COLUMN test INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }

    static var raw: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 raw frames") { db in
            // One row per frame, samples as the bus carries them (little-endian Float32,
            // channels interleaved). Rowid order is arrival order: purges take the oldest first.
            // Idempotent by (sensor, first sample time): the same frame twice is one row.
            try db.execute(
                sql: """
                    CREATE TABLE sensor_frame (
                        id INTEGER PRIMARY KEY,
                        sensorId TEXT NOT NULL,
                        firstSampleTime REAL NOT NULL,
                        sampleRate REAL NOT NULL,
                        channels INTEGER NOT NULL,
                        sampleCount INTEGER NOT NULL,
                        samples BLOB NOT NULL,
                        UNIQUE (sensorId, firstSampleTime)
                    );
                    """)
        }
        migrator.registerMigration("v2 frame counts") { db in
            // Frames stored per sensor, ever: raw retention deletes frames, never these counts.
            // Compared with ingestion's accepted counts, the difference is loss on the way.
            try db.execute(
                sql: """
                    CREATE TABLE sensor_frame_count (
                        sensorId TEXT PRIMARY KEY NOT NULL,
                        frames INTEGER NOT NULL,
                        lastStoredAt REAL NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO sensor_frame_count (sensorId, frames, lastStoredAt)
                        SELECT sensorId, COUNT(*), 0 FROM sensor_frame GROUP BY sensorId;
                    """)
        }
        return migrator
    }
}

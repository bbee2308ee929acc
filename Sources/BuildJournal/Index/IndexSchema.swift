import GRDB

/// The SQLite index's schema as named, append-only migrations. Never edit a shipped migration:
/// add a new one. A database that has migrations this list does not know was written by a newer
/// Reprise, and is refused rather than misread.
enum IndexSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-builds-steps-images") { db in
            try db.create(table: "build") { t in
                t.primaryKey("id", .text)
                t.column("recordDigest", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("replayOf", .text)
                t.column("status", .text).notNull()
                t.column("dockerfilePath", .text).notNull()
                t.column("target", .text)
                t.column("manifestDigest", .text)
                t.column("configDigest", .text)
                t.column("startedAt", .double).notNull()
                t.column("finishedAt", .double)
                t.column("pid", .integer)
                t.column("error", .text)
            }
            try db.create(index: "build_manifest", on: "build", columns: ["manifestDigest"])
            try db.create(table: "step") { t in
                t.column("buildID", .text).notNull().references("build", onDelete: .cascade)
                t.column("stepIndex", .integer).notNull()
                t.column("recordDigest", .text).notNull()
                t.column("stage", .text).notNull()
                t.column("instruction", .text).notNull()
                t.column("text", .text).notNull()
                t.column("line", .integer)
                t.column("cacheKey", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("exitCode", .integer)
                t.column("durationSeconds", .double).notNull()
                t.column("layerDiffID", .text)
                t.column("layerDigest", .text)
                t.column("layerSize", .integer)
                t.primaryKey(["buildID", "stepIndex"])
            }
            try db.create(index: "step_cacheKey", on: "step", columns: ["cacheKey"])
            try db.create(table: "mount") { t in
                t.column("buildID", .text).notNull().references("build", onDelete: .cascade)
                t.column("stepIndex", .integer).notNull()
                t.column("ordinal", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("target", .text).notNull()
                t.column("mountID", .text)
                t.column("treeBefore", .text)
                t.column("treeAfter", .text)
                t.primaryKey(["buildID", "stepIndex", "ordinal"])
            }
            try db.create(table: "context") { t in
                t.column("buildID", .text).notNull().references("build", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("origin", .text).notNull()
                t.column("treeDigest", .text)
                t.column("imageDigest", .text)
                t.primaryKey(["buildID", "name"])
            }
            try db.create(table: "image") { t in
                t.primaryKey("manifestDigest", .text)
                t.column("configDigest", .text).notNull()
                t.column("source", .text).notNull()
                t.column("addedAt", .double).notNull()
            }
            try db.create(table: "tag") { t in
                t.primaryKey("name", .text)
                t.column("manifestDigest", .text).notNull()
                t.column("updatedAt", .double).notNull()
            }
        }
        // Digests as 32-byte BLOBs instead of `sha256:<hex>` text (IndexDigest): the same
        // columns (SQLite keeps a BLOB as it is in a TEXT column), the old rows converted.
        migrator.registerMigration("v2-binary-digests") { db in
            try IndexDigest.convertTextDigests(in: db)
        }
        // Step columns no query reads (they are in the step record): see StepRow.
        migrator.registerMigration("v3-lean-step-rows") { db in
            try db.alter(table: "step") { t in
                for column in ["stage", "line", "exitCode", "durationSeconds", "layerDiffID", "layerSize"] {
                    t.drop(column: column)
                }
            }
        }
        // The instruction and its text too: read by no query, held by every step record, and
        // ~45 bytes a step — the last of the index's growth a build could spare (issue 17's
        // journal-growth budget, Reports/journal-growth.md).
        migrator.registerMigration("v4-step-rows-without-text") { db in
            try db.alter(table: "step") { t in
                for column in ["instruction", "text"] { t.drop(column: column) }
            }
        }
        return migrator
    }
}

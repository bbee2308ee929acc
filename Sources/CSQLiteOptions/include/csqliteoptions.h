#ifndef REPRISE_CSQLITEOPTIONS_H
#define REPRISE_CSQLITEOPTIONS_H
struct sqlite3;
/// sqlite3_db_config(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1): closing the connection leaves the WAL
/// as it is instead of checkpointing it into the database file (two fdatasyncs) and deleting it
/// (which makes the next process create it again: a directory fsync and a header fdatasync).
/// sqlite3_db_config is variadic, which Swift cannot call. Returns SQLite's result code.
int reprise_sqlite_keep_wal_on_close(struct sqlite3 *db);
#endif

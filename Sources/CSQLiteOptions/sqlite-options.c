#include "csqliteoptions.h"

// Declared here rather than by including sqlite3.h, so that this target needs no header path:
// the prototype and the option's value are part of SQLite's stable C interface (3.16+).
int sqlite3_db_config(struct sqlite3 *db, int op, ...);
#define REPRISE_SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE 1006

int reprise_sqlite_keep_wal_on_close(struct sqlite3 *db) {
    return sqlite3_db_config(db, REPRISE_SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}

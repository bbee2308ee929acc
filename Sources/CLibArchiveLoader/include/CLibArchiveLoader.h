#ifndef REPRISE_CLIBARCHIVE_LOADER_H
#define REPRISE_CLIBARCHIVE_LOADER_H

/// Whether libarchive has been loaded into this process yet (it is loaded on the first call of
/// any archive_* function; see libarchive-loader.c).
int reprise_libarchive_is_loaded(void);

#endif

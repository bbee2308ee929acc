// libarchive, loaded on first use.
//
// libarchive.so pulls in libxml2, ICU, nettle, lzma, zstd, lz4, bzip2 and acl: about 1.5 ms of
// dynamic loading and relocation at every start of reprise, although most commands (a fully
// cached build, `journal ls`, `--version`) never read or write a tar. The CLibArchive module
// therefore does not link libarchive; this file defines each archive_* function Reprise calls
// as a trampoline that dlopens libarchive the first time any of them runs and then calls the
// real function through a pointer resolved once.
//
// Regenerate the trampolines when Swift code starts calling another archive_* function (the
// link then fails with an undefined symbol naming it): add one following the pattern below,
// with the prototype from archive.h / archive_entry.h (the compiler checks it against them).
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "CLibArchiveLoader.h"

static void *libarchive_handle;
static pthread_once_t libarchive_once = PTHREAD_ONCE_INIT;

static void load_libarchive(void) {
    // The soname Debian's libarchive13 ships (libarchive 3.x); the unversioned name is the
    // development symlink, a fallback for a libarchive built by hand. REPRISE_LIBARCHIVE names
    // another one (and only it).
    const char *chosen = getenv("REPRISE_LIBARCHIVE");
    const char *names[] = {"libarchive.so.13", "libarchive.so"};
    size_t count = sizeof names / sizeof names[0];
    if (chosen != NULL && chosen[0] != '\0') {
        names[0] = chosen;
        count = 1;
    }
    for (size_t index = 0; index < count; index++) {
        libarchive_handle = dlopen(names[index], RTLD_NOW | RTLD_LOCAL);
        if (libarchive_handle != NULL) return;
    }
    // No archive function can report this to its caller, so the process ends here, as an error
    // (status 1, like every other reprise error), not a crash: whatever the journal holds
    // survives this as it survives a kill.
    fprintf(stderr, "reprise: error: cannot load libarchive (%s), needed to read or write a tar: %s\n"
                    "Install it with: apt-get install libarchive13\n", names[0], dlerror());
    _exit(1);
}

static void *libarchive_symbol(const char *name) {
    pthread_once(&libarchive_once, load_libarchive);
    void *symbol = dlsym(libarchive_handle, name);
    if (symbol == NULL) {
        fprintf(stderr, "reprise: error: the loaded libarchive has no %s: %s\n", name, dlerror());
        _exit(1);
    }
    return symbol;
}

int reprise_libarchive_is_loaded(void) {
    return __atomic_load_n(&libarchive_handle, __ATOMIC_ACQUIRE) != NULL;
}

// The real function behind `name`, resolved on its first call (a race resolves it twice to the
// same pointer, which is harmless).
#define REPRISE_RESOLVE(name) ({ \
    static __typeof__(&name) resolved; \
    __typeof__(&name) function = __atomic_load_n(&resolved, __ATOMIC_ACQUIRE); \
    if (function == NULL) { \
        function = (__typeof__(&name))libarchive_symbol(#name); \
        __atomic_store_n(&resolved, function, __ATOMIC_RELEASE); \
    } \
    function; })

struct archive_entry *archive_entry_clear(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_clear)(a0);
}

mode_t archive_entry_filetype(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_filetype)(a0);
}

void archive_entry_free(struct archive_entry *a0) {
    REPRISE_RESOLVE(archive_entry_free)(a0);
}

la_int64_t archive_entry_gid(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_gid)(a0);
}

const char *archive_entry_gname(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_gname)(a0);
}

const char *archive_entry_hardlink(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_hardlink)(a0);
}

time_t archive_entry_mtime(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_mtime)(a0);
}

long archive_entry_mtime_nsec(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_mtime_nsec)(a0);
}

struct archive_entry *archive_entry_new(void) {
    return REPRISE_RESOLVE(archive_entry_new)();
}

struct archive_entry *archive_entry_new2(struct archive *a0) {
    return REPRISE_RESOLVE(archive_entry_new2)(a0);
}

const char *archive_entry_pathname(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_pathname)(a0);
}

mode_t archive_entry_perm(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_perm)(a0);
}

dev_t archive_entry_rdevmajor(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_rdevmajor)(a0);
}

dev_t archive_entry_rdevminor(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_rdevminor)(a0);
}

void archive_entry_set_filetype(struct archive_entry *a0, unsigned int a1) {
    REPRISE_RESOLVE(archive_entry_set_filetype)(a0, a1);
}

void archive_entry_set_gid(struct archive_entry *a0, la_int64_t a1) {
    REPRISE_RESOLVE(archive_entry_set_gid)(a0, a1);
}

void archive_entry_set_hardlink_utf8(struct archive_entry *a0, const char *a1) {
    REPRISE_RESOLVE(archive_entry_set_hardlink_utf8)(a0, a1);
}

void archive_entry_set_mtime(struct archive_entry *a0, time_t a1, long a2) {
    REPRISE_RESOLVE(archive_entry_set_mtime)(a0, a1, a2);
}

void archive_entry_set_pathname(struct archive_entry *a0, const char *a1) {
    REPRISE_RESOLVE(archive_entry_set_pathname)(a0, a1);
}

void archive_entry_set_pathname_utf8(struct archive_entry *a0, const char *a1) {
    REPRISE_RESOLVE(archive_entry_set_pathname_utf8)(a0, a1);
}

void archive_entry_set_perm(struct archive_entry *a0, mode_t a1) {
    REPRISE_RESOLVE(archive_entry_set_perm)(a0, a1);
}

void archive_entry_set_rdevmajor(struct archive_entry *a0, dev_t a1) {
    REPRISE_RESOLVE(archive_entry_set_rdevmajor)(a0, a1);
}

void archive_entry_set_rdevminor(struct archive_entry *a0, dev_t a1) {
    REPRISE_RESOLVE(archive_entry_set_rdevminor)(a0, a1);
}

void archive_entry_set_size(struct archive_entry *a0, la_int64_t a1) {
    REPRISE_RESOLVE(archive_entry_set_size)(a0, a1);
}

void archive_entry_set_symlink_utf8(struct archive_entry *a0, const char *a1) {
    REPRISE_RESOLVE(archive_entry_set_symlink_utf8)(a0, a1);
}

void archive_entry_set_uid(struct archive_entry *a0, la_int64_t a1) {
    REPRISE_RESOLVE(archive_entry_set_uid)(a0, a1);
}

la_int64_t archive_entry_size(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_size)(a0);
}

int archive_entry_size_is_set(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_size_is_set)(a0);
}

const char *archive_entry_symlink(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_symlink)(a0);
}

la_int64_t archive_entry_uid(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_uid)(a0);
}

const char *archive_entry_uname(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_uname)(a0);
}

void archive_entry_xattr_add_entry(struct archive_entry *a0, const char *a1, const void *a2, size_t a3) {
    REPRISE_RESOLVE(archive_entry_xattr_add_entry)(a0, a1, a2, a3);
}

int archive_entry_xattr_next(struct archive_entry *a0, const char **a1, const void **a2, size_t *a3) {
    return REPRISE_RESOLVE(archive_entry_xattr_next)(a0, a1, a2, a3);
}

int archive_entry_xattr_reset(struct archive_entry *a0) {
    return REPRISE_RESOLVE(archive_entry_xattr_reset)(a0);
}

const char *archive_error_string(struct archive *a0) {
    return REPRISE_RESOLVE(archive_error_string)(a0);
}

int archive_filter_count(struct archive *a0) {
    return REPRISE_RESOLVE(archive_filter_count)(a0);
}

const char *archive_filter_name(struct archive *a0, int a1) {
    return REPRISE_RESOLVE(archive_filter_name)(a0, a1);
}

la_ssize_t archive_read_data(struct archive *a0, void *a1, size_t a2) {
    return REPRISE_RESOLVE(archive_read_data)(a0, a1, a2);
}

int archive_read_free(struct archive *a0) {
    return REPRISE_RESOLVE(archive_read_free)(a0);
}

struct archive *archive_read_new(void) {
    return REPRISE_RESOLVE(archive_read_new)();
}

int archive_read_next_header(struct archive *a0, struct archive_entry **a1) {
    return REPRISE_RESOLVE(archive_read_next_header)(a0, a1);
}

int archive_read_open(struct archive *a0, void *a1, archive_open_callback *a2, archive_read_callback *a3, archive_close_callback *a4) {
    return REPRISE_RESOLVE(archive_read_open)(a0, a1, a2, a3, a4);
}

int archive_read_open_memory(struct archive *a0, const void *a1, size_t a2) {
    return REPRISE_RESOLVE(archive_read_open_memory)(a0, a1, a2);
}

int archive_read_support_filter_all(struct archive *a0) {
    return REPRISE_RESOLVE(archive_read_support_filter_all)(a0);
}

int archive_read_support_format_cpio(struct archive *a0) {
    return REPRISE_RESOLVE(archive_read_support_format_cpio)(a0);
}

int archive_read_support_format_raw(struct archive *a0) {
    return REPRISE_RESOLVE(archive_read_support_format_raw)(a0);
}

int archive_read_support_format_zip(struct archive *a0) {
    return REPRISE_RESOLVE(archive_read_support_format_zip)(a0);
}

const char *archive_version_string(void) {
    return REPRISE_RESOLVE(archive_version_string)();
}

int archive_write_add_filter_zstd(struct archive *a0) {
    return REPRISE_RESOLVE(archive_write_add_filter_zstd)(a0);
}

int archive_write_close(struct archive *a0) {
    return REPRISE_RESOLVE(archive_write_close)(a0);
}

la_ssize_t archive_write_data(struct archive *a0, const void *a1, size_t a2) {
    return REPRISE_RESOLVE(archive_write_data)(a0, a1, a2);
}

int archive_write_free(struct archive *a0) {
    return REPRISE_RESOLVE(archive_write_free)(a0);
}

int archive_write_header(struct archive *a0, struct archive_entry *a1) {
    return REPRISE_RESOLVE(archive_write_header)(a0, a1);
}

struct archive *archive_write_new(void) {
    return REPRISE_RESOLVE(archive_write_new)();
}

int archive_write_open(struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4) {
    return REPRISE_RESOLVE(archive_write_open)(a0, a1, a2, a3, a4);
}

int archive_write_open2(struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4, archive_free_callback *a5) {
    return REPRISE_RESOLVE(archive_write_open2)(a0, a1, a2, a3, a4, a5);
}

int archive_write_set_bytes_in_last_block(struct archive *a0, int a1) {
    return REPRISE_RESOLVE(archive_write_set_bytes_in_last_block)(a0, a1);
}

int archive_write_set_filter_option(struct archive *a0, const char *a1, const char *a2, const char *a3) {
    return REPRISE_RESOLVE(archive_write_set_filter_option)(a0, a1, a2, a3);
}

int archive_write_set_format_option(struct archive *a0, const char *a1, const char *a2, const char *a3) {
    return REPRISE_RESOLVE(archive_write_set_format_option)(a0, a1, a2, a3);
}

int archive_write_set_format_pax_restricted(struct archive *a0) {
    return REPRISE_RESOLVE(archive_write_set_format_pax_restricted)(a0);
}

int archive_write_set_format_raw(struct archive *a0) {
    return REPRISE_RESOLVE(archive_write_set_format_raw)(a0);
}


#ifndef REPRISE_CLIBARCHIVE_SHIM_H
#define REPRISE_CLIBARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

// AE_IF* are cast macros that Swift cannot import; re-export them as constants.
static const unsigned int reprise_AE_IFMT = AE_IFMT;
static const unsigned int reprise_AE_IFREG = AE_IFREG;
static const unsigned int reprise_AE_IFLNK = AE_IFLNK;
static const unsigned int reprise_AE_IFSOCK = AE_IFSOCK;
static const unsigned int reprise_AE_IFCHR = AE_IFCHR;
static const unsigned int reprise_AE_IFBLK = AE_IFBLK;
static const unsigned int reprise_AE_IFDIR = AE_IFDIR;
static const unsigned int reprise_AE_IFIFO = AE_IFIFO;

// Swift's Glibc module exports neither the xattr calls nor the device-number macros; LayerArchive
// needs both to snapshot and recreate trees, so they ride along with the libarchive shim.
static inline unsigned int reprise_major(dev_t device) { return major(device); }
static inline unsigned int reprise_minor(dev_t device) { return minor(device); }
static inline dev_t reprise_makedev(unsigned int major, unsigned int minor) {
    return makedev(major, minor);
}
#endif

#ifndef REPRISE_CLIBARCHIVE_SHIM_H
#define REPRISE_CLIBARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

// AE_IF* are cast macros that Swift cannot import; re-export them as constants.
static const unsigned int reprise_AE_IFMT = AE_IFMT;
static const unsigned int reprise_AE_IFREG = AE_IFREG;
static const unsigned int reprise_AE_IFLNK = AE_IFLNK;
static const unsigned int reprise_AE_IFSOCK = AE_IFSOCK;
static const unsigned int reprise_AE_IFCHR = AE_IFCHR;
static const unsigned int reprise_AE_IFBLK = AE_IFBLK;
static const unsigned int reprise_AE_IFDIR = AE_IFDIR;
static const unsigned int reprise_AE_IFIFO = AE_IFIFO;
#endif

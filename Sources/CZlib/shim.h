#ifndef REPRISE_CZLIB_SHIM_H
#define REPRISE_CZLIB_SHIM_H
#include <zlib.h>
// deflateInit2 is a macro; Swift needs a function.
static inline int reprise_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                       int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}
static inline int reprise_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif

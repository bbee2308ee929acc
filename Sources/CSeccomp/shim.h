// libseccomp (Debian's libseccomp-dev), used by CSandbox's seccomp.c; declared here so that
// SwiftPM knows the dependency, its pkg-config name and the package that provides it.
#include <seccomp.h>

#include "greet.h"

const char *greeting(void) { return "hello from a private source, compiled in the sandbox"; }

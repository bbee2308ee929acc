#include "csandbox.h"
int reprise_sandbox_placeholder(void) { return 0; }

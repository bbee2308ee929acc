#ifndef REPRISE_CSANDBOX_H
#define REPRISE_CSANDBOX_H
int reprise_sandbox_placeholder(void);
#endif

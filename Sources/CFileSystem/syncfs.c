#define _GNU_SOURCE
#include <unistd.h>
#include "cfilesystem.h"

int reprise_syncfs(int fd) { return syncfs(fd); }

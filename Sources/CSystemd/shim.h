#ifndef CSYSTEMD_SHIM_H
#define CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
/* sd_notifyf is variadic; Swift formats the state string itself and calls sd_notify. */
#endif

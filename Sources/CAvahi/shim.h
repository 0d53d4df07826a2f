#ifndef CAVAHI_SHIM_H
#define CAVAHI_SHIM_H
/* Avahi's client library: publishing a DNS-SD service through the system's avahi-daemon. The
   variadic avahi_entry_group_add_service is not callable from Swift; the _strlst form is used. */
#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/thread-watch.h>
#endif

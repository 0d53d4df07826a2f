#ifndef CSOXR_SHIM_H
#define CSOXR_SHIM_H
#include <soxr.h>
/* soxr_io_spec / soxr_quality_spec are plain functions but the flag values are macros. */
static inline unsigned long rt_soxr_hq(void) { return SOXR_HQ; }
static inline unsigned long rt_soxr_vhq(void) { return SOXR_VHQ; }
#endif

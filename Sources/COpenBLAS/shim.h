#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h; repeated here so the intent is visible: callers set the
   thread count explicitly so OpenBLAS never oversubscribes the cores with our own threads. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif

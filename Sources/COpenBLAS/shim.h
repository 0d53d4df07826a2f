#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS's cblas.h; repeated here so the intent is visible: callers set the
   thread count explicitly so OpenBLAS never oversubscribes the cores with our own threads,
   and read which kernels the library chose for this processor. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);
#endif

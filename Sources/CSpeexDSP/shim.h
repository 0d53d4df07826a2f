#ifndef CSPEEXDSP_SHIM_H
#define CSPEEXDSP_SHIM_H
/* speexdsp's acoustic echo canceller (MDF) and its preprocessor, whose residual echo and noise
   suppression read the canceller's state. */
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#endif

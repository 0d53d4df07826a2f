#ifndef CALSA_SHIM_H
#define CALSA_SHIM_H
#include <alsa/asoundlib.h>
#include <stdlib.h>

/* snd_pcm_hw_params_alloca is a macro over alloca; Swift gets heap-allocated handles instead. */
static inline snd_pcm_hw_params_t *rt_alsa_hw_params_new(void) {
    snd_pcm_hw_params_t *p = NULL;
    return snd_pcm_hw_params_malloc(&p) == 0 ? p : NULL;
}
static inline snd_pcm_sw_params_t *rt_alsa_sw_params_new(void) {
    snd_pcm_sw_params_t *p = NULL;
    return snd_pcm_sw_params_malloc(&p) == 0 ? p : NULL;
}

/* Silence libasound's default stderr error printer (it is variadic; errors reach Swift as codes). */
static void rt_alsa_quiet_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}
static inline void rt_alsa_silence_errors(void) { snd_lib_error_set_handler(rt_alsa_quiet_handler); }

/* Opens a PCM from configuration text (used for test devices and `audio.alsa_config`), so a
   caller can define `file`/`null` PCMs without touching the system's asound.conf. The text is
   loaded on top of the system configuration. */
static inline int rt_alsa_open_with_config(snd_pcm_t **pcm, const char *name, snd_pcm_stream_t stream,
                                           int mode, const char *config_text) {
    snd_config_t *top = NULL;
    snd_input_t *in = NULL;
    int err = snd_config_update_ref(&top);
    if (err < 0) return err;
    snd_config_t *copy = NULL;
    err = snd_config_copy(&copy, top);
    snd_config_unref(top);
    if (err < 0) return err;
    err = snd_input_buffer_open(&in, config_text, -1);
    if (err < 0) { snd_config_delete(copy); return err; }
    err = snd_config_load(copy, in);  /* merges: the system PCMs (null, default) stay defined */
    snd_input_close(in);
    if (err < 0) { snd_config_delete(copy); return err; }
    err = snd_pcm_open_lconf(pcm, name, stream, mode, copy);
    snd_config_delete(copy);
    return err;
}
#endif

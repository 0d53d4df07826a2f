#ifndef RTD_WEBRTC_ECHO_H
#define RTD_WEBRTC_ECHO_H
/* WebRTC's audio processing module (Debian's webrtc-audio-processing, its echo canceller with
   delay-agnostic alignment and the extended filter) behind a C interface that Swift can import:
   10 ms frames of 16-bit mono, the speaker's frame and the microphone's together. */
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct rtd_webrtc_echo rtd_webrtc_echo;

/* suppression: 0 low, 1 moderate, 2 high (the non-linear suppression of what the filter leaves);
   noise_suppression: 0 off, 1 low, 2 moderate, 3 high, 4 very high. Returns NULL for a rate the
   module does not take (8, 16, 32 or 48 kHz are accepted) or a level out of range. */
rtd_webrtc_echo *rtd_webrtc_echo_create(int sample_rate, int suppression, int noise_suppression);
void rtd_webrtc_echo_destroy(rtd_webrtc_echo *echo);
/* Samples in one frame (10 ms). */
int rtd_webrtc_echo_frame_samples(const rtd_webrtc_echo *echo);
/* Removes the echo of `far` (what the speaker played) from `near` (the microphone), in place.
   `delay_ms`: how long before its echo the far frame is given (a hint; the module also
   estimates it). Returns 0, or the module's error code. */
int rtd_webrtc_echo_process(rtd_webrtc_echo *echo, const int16_t *far, int16_t *near, int delay_ms);
/* Starts adapting afresh. */
int rtd_webrtc_echo_reset(rtd_webrtc_echo *echo);

#ifdef __cplusplus
}
#endif
#endif

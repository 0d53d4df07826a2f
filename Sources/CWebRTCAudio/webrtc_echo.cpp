#include "webrtc_echo.h"

#include <webrtc/modules/audio_processing/include/audio_processing.h>
#include <webrtc/modules/interface/module_common_types.h>

#include <cstring>
#include <memory>

struct rtd_webrtc_echo {
    std::unique_ptr<webrtc::AudioProcessing> module;
    int sample_rate;
    int frame_samples;
    int suppression;
    int noise_suppression;
    webrtc::AudioFrame far_frame;
    webrtc::AudioFrame near_frame;
};

static int configure(rtd_webrtc_echo *echo) {
    webrtc::EchoCancellation *canceller = echo->module->echo_cancellation();
    static const webrtc::EchoCancellation::SuppressionLevel levels[] = {
        webrtc::EchoCancellation::kLowSuppression, webrtc::EchoCancellation::kModerateSuppression,
        webrtc::EchoCancellation::kHighSuppression};
    int rc = canceller->enable_drift_compensation(false);
    if (rc == 0) rc = canceller->set_suppression_level(levels[echo->suppression]);
    /* Nothing reads the delay metrics; the figures in docs/echo-cancellation.md were measured
       with the logging on, so it stays on. */
    if (rc == 0) rc = canceller->enable_delay_logging(true);
    if (rc == 0) rc = canceller->Enable(true);
    if (rc == 0) rc = echo->module->high_pass_filter()->Enable(true);
    if (rc == 0 && echo->noise_suppression > 0) {
        static const webrtc::NoiseSuppression::Level noise_levels[] = {
            webrtc::NoiseSuppression::kLow, webrtc::NoiseSuppression::kModerate, webrtc::NoiseSuppression::kHigh,
            webrtc::NoiseSuppression::kVeryHigh};
        rc = echo->module->noise_suppression()->set_level(noise_levels[echo->noise_suppression - 1]);
        if (rc == 0) rc = echo->module->noise_suppression()->Enable(true);
    }
    return rc;
}

static void prepare(webrtc::AudioFrame &frame, int rate, int samples) {
    frame.sample_rate_hz_ = rate;
    frame.num_channels_ = 1;
    frame.samples_per_channel_ = samples;
}

extern "C" rtd_webrtc_echo *rtd_webrtc_echo_create(int sample_rate, int suppression, int noise_suppression) {
    if (sample_rate != 8000 && sample_rate != 16000 && sample_rate != 32000 && sample_rate != 48000) return nullptr;
    if (suppression < 0 || suppression > 2 || noise_suppression < 0 || noise_suppression > 4) return nullptr;
    webrtc::Config config;
    config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
    config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
    std::unique_ptr<rtd_webrtc_echo> echo(new rtd_webrtc_echo);
    echo->module.reset(webrtc::AudioProcessing::Create(config));
    if (!echo->module) return nullptr;
    echo->sample_rate = sample_rate;
    echo->frame_samples = sample_rate / 100;
    echo->suppression = suppression;
    echo->noise_suppression = noise_suppression;
    if (configure(echo.get()) != 0) return nullptr;
    return echo.release();
}

extern "C" void rtd_webrtc_echo_destroy(rtd_webrtc_echo *echo) { delete echo; }

extern "C" int rtd_webrtc_echo_frame_samples(const rtd_webrtc_echo *echo) { return echo->frame_samples; }

extern "C" int rtd_webrtc_echo_process(rtd_webrtc_echo *echo, const int16_t *far, int16_t *near, int delay_ms) {
    const size_t bytes = sizeof(int16_t) * echo->frame_samples;
    prepare(echo->far_frame, echo->sample_rate, echo->frame_samples);
    std::memcpy(echo->far_frame.data_, far, bytes);
    int rc = echo->module->ProcessReverseStream(&echo->far_frame);
    if (rc != 0) return rc;
    prepare(echo->near_frame, echo->sample_rate, echo->frame_samples);
    std::memcpy(echo->near_frame.data_, near, bytes);
    rc = echo->module->set_stream_delay_ms(delay_ms);
    if (rc != 0 && rc != webrtc::AudioProcessing::kBadStreamParameterWarning) return rc;
    rc = echo->module->ProcessStream(&echo->near_frame);
    if (rc != 0) return rc;
    std::memcpy(near, echo->near_frame.data_, bytes);
    return 0;
}

extern "C" int rtd_webrtc_echo_reset(rtd_webrtc_echo *echo) {
    int rc = echo->module->Initialize();
    return rc != 0 ? rc : configure(echo);
}

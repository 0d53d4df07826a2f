// TTS module

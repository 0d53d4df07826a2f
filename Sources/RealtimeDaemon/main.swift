print("realtime-daemon")

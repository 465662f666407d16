// The runtime starting a script that does nothing: the floor under every cold start.

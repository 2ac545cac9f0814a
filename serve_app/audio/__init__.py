"""Audio I/O and signal helpers shared by the service and the backends."""
